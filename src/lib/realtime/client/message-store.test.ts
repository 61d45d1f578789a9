import { describe, expect, it } from 'vitest';
import { MessageStore } from './message-store';
import type { ClientChatMessage } from './types';

const message = (position: number, overrides: Partial<ClientChatMessage> = {}): ClientChatMessage => ({
  id: `m${position}`,
  type: 'INFO',
  taskId: 't1',
  content: `message ${position}`,
  data: {},
  attachments: [],
  createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, position)).toISOString(),
  read: false,
  position,
  priority: 'NORMAL',
  ...overrides,
});

describe('MessageStore', () => {
  it('keeps messages in position order whatever order they arrive in, and the cursor at the highest position', () => {
    const store = new MessageStore();
    expect(store.add([message(3), message(1)])).toBe(true);
    expect(store.add([message(2)])).toBe(true);
    expect(store.messages.map((m) => m.position)).toEqual([1, 2, 3]);
    expect(store.cursor).toBe(3);
  });

  it('keeps a message delivered twice (replay, catch-up, two transports) once, and reports no change', () => {
    const store = new MessageStore();
    store.add([message(1), message(2)]);
    const before = store.messages;
    expect(store.add([message(2), message(1)])).toBe(false);
    expect(store.messages).toBe(before);
    expect(store.messages).toHaveLength(2);
  });

  it('does not move the cursor for messages from a source with gaps (Pusher), but keeps them', () => {
    const store = new MessageStore();
    store.add([message(1)]);
    expect(store.add([message(5)], { advanceCursor: false })).toBe(true);
    expect(store.cursor).toBe(1);
    expect(store.messages.map((m) => m.position)).toEqual([1, 5]);
    // The gap-free catch-up then brings 2..5; the cursor moves, 5 is not duplicated.
    store.add([2, 3, 4, 5].map((p) => message(p)));
    expect(store.cursor).toBe(5);
    expect(store.messages.map((m) => m.position)).toEqual([1, 2, 3, 4, 5]);
  });

  it('never turns a read message unread when an older copy arrives', () => {
    const store = new MessageStore();
    store.add([message(1, { read: true })]);
    expect(store.add([message(1, { read: false })])).toBe(false);
    expect(store.messages[0]!.read).toBe(true);
    expect(store.add([message(2)])).toBe(true);
    expect(store.add([message(2, { read: true })])).toBe(true);
    expect(store.messages[1]!.read).toBe(true);
  });

  it('marks read by ids, only those given, and reports whether anything changed', () => {
    const store = new MessageStore();
    store.add([message(1), message(2), message(3)]);
    expect(store.markRead({ ids: ['m1', 'm3', 'unknown'] })).toBe(true);
    expect(store.messages.map((m) => m.read)).toEqual([true, false, true]);
    expect(store.markRead({ ids: ['m1'] })).toBe(false);
  });

  it('marks read up to a position (mark-all), leaving later messages unread', () => {
    const store = new MessageStore();
    store.add([message(1), message(2), message(3)]);
    expect(store.markRead({ upTo: 2 })).toBe(true);
    expect(store.messages.map((m) => m.read)).toEqual([true, true, false]);
    expect(store.markRead({ upTo: 2 })).toBe(false);
    expect(store.cursor).toBe(3);
  });
});
