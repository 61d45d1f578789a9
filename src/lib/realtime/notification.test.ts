import { describe, expect, it } from 'vitest';
import { EPHEMERAL_EVENT_NAME, parseNotification } from './notification';

describe('fan-out notifications', () => {
  it('parses message, read and ephemeral notifications, and refuses anything else', () => {
    expect(parseNotification('{"userId":"u1","position":3}')).toEqual({ userId: 'u1', position: 3 });
    expect(parseNotification('{"userId":"u1","kind":"read","upTo":3}')).toEqual({ userId: 'u1', kind: 'read', upTo: 3 });
    expect(parseNotification('{"userId":"u1","kind":"ephemeral","event":"activity","data":{"step":"x"}}')).toEqual({
      userId: 'u1',
      kind: 'ephemeral',
      event: 'activity',
      data: { step: 'x' },
    });
    for (const stray of [
      'not json',
      '{}',
      '{"userId":"u1","kind":"ephemeral","event":"ready","data":{}}',
      '{"userId":"u1","kind":"ephemeral","event":"activity","data":[1]}',
    ]) {
      expect(parseNotification(stray)).toBeNull();
    }
  });

  it("accepts lower-case ephemeral event names other than the stream's own", () => {
    for (const name of ['activity', 'agent-step', 'typing2']) expect(EPHEMERAL_EVENT_NAME.test(name)).toBe(true);
    for (const name of ['chat-message', 'ready', 'read', 'Activity', '', '1x', 'a'.repeat(33), 'x\ny'])
      expect(EPHEMERAL_EVENT_NAME.test(name)).toBe(false);
  });
});
