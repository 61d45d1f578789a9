import { describe, expect, it } from 'vitest';
import type { ActivityPayload } from '@/lib/schemas/activity';
import { ActivityStore } from './activity-store';

const at = (s: number) => new Date(Date.UTC(2026, 10, 25, 12, 0, s)).toISOString();
const activity = (overrides: Partial<ActivityPayload> = {}): ActivityPayload => ({
  taskId: 't1',
  state: 'thinking',
  label: 'Thinking…',
  ttlMs: 10_000,
  at: at(0),
  ...overrides,
});

describe('the browser’s agent activities', () => {
  it('shows an activity for its TTL from arrival, and a refresh extends it', () => {
    const store = new ActivityStore();
    expect(store.apply(activity(), 1_000)).toBe(true);
    expect(store.snapshot().t1).toMatchObject({ state: 'thinking', label: 'Thinking…', expiresAt: 11_000 });
    expect(store.nextExpiry()).toBe(11_000);
    expect(store.prune(10_999)).toBe(false);
    store.apply(activity({ state: 'booking', label: 'Booking…', at: at(5) }), 6_000);
    expect(store.prune(11_000)).toBe(false);
    expect(store.snapshot().t1).toMatchObject({ state: 'booking', expiresAt: 16_000 });
    expect(store.prune(16_000)).toBe(true);
    expect(store.snapshot()).toEqual({});
  });

  it('idle clears it; an older activity arriving late changes nothing', () => {
    const store = new ActivityStore();
    store.apply(activity({ state: 'booking', at: at(5) }), 0);
    expect(store.apply(activity({ state: 'thinking', at: at(1) }), 0)).toBe(false);
    expect(store.snapshot().t1!.state).toBe('booking');
    expect(store.apply(activity({ state: 'idle', at: at(6) }), 0)).toBe(true);
    expect(store.snapshot()).toEqual({});
  });

  it('a message of the task created after the activity clears it; an older one, or another task’s, does not', () => {
    const store = new ActivityStore();
    store.apply(activity({ at: at(10) }), 0);
    store.apply(activity({ taskId: 't2', at: at(10) }), 0);
    expect(store.clearFor([{ taskId: 't1', createdAt: at(9) }])).toBe(false);
    expect(store.clearFor([{ taskId: null, createdAt: at(11) }])).toBe(false);
    expect(store.clearFor([{ taskId: 't1', createdAt: at(11) }])).toBe(true);
    expect(Object.keys(store.snapshot())).toEqual(['t2']);
  });
});
