import { describe, expect, it } from 'vitest';
import { parseAgentState } from './agent-state';

const parsed = {
  intent: 'schedule',
  durationMinutes: 30,
  attendees: ['Dana'],
  title: 'Meeting with Dana',
  missing: ['time'],
  date: '2030-03-06',
};
const slot = { start: '2030-03-06T20:00:00.000Z', end: '2030-03-06T20:30:00.000Z' };

describe('parseAgentState', () => {
  it('reads what the agent stored', () => {
    const state = {
      parsed,
      pending: { kind: 'alternatives', alternatives: [slot] },
      cancelling: { turn: 1, candidate: { ...slot, eventId: 'e1', title: 'T' } },
    };
    expect(parseAgentState(state)).toEqual(state);
  });

  it('reads no state (a new task) as empty', () => {
    expect(parseAgentState(null)).toEqual({});
    expect(parseAgentState(undefined)).toEqual({});
    expect(parseAgentState('not an object')).toEqual({});
  });

  it('drops a part that does not parse and keeps the rest', () => {
    expect(parseAgentState({ parsed, pending: { kind: 'telepathy' } })).toEqual({ parsed });
    expect(parseAgentState({ parsed: { intent: 'schedule' }, pending: { kind: 'details' } })).toEqual({ pending: { kind: 'details' } });
    expect(parseAgentState({ pending: { kind: 'alternatives', alternatives: 'soon' }, cancelling: { turn: -1 } })).toEqual({});
  });
});
