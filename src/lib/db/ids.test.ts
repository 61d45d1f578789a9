import { createId } from '@paralleldrive/cuid2';
import { describe, expect, it } from 'vitest';
import { Id } from '@/lib/schemas/common';
import { MessageIdParams, TaskIdParams } from '@/lib/schemas/chat-messages';
import { ID_LENGTH, ID_PATTERN, ID_RANDOM_BITS, idTime, newId } from './ids';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

describe('row ids', () => {
  it('are 35 URL-safe characters: 10 of time, 25 random', () => {
    for (let i = 0; i < 1000; i++) {
      const id = newId();
      expect(id).toHaveLength(ID_LENGTH);
      expect(id).toMatch(ID_PATTERN);
      expect(encodeURIComponent(id)).toBe(id);
    }
  });

  it('carry at least 120 bits of randomness', () => {
    expect(ID_RANDOM_BITS).toBeGreaterThanOrEqual(120);
    // Every random position takes every one of the 32 characters, near-uniformly: 5 bits each.
    const counts = Array.from({ length: 25 }, () => new Map<string, number>());
    const n = 32 * 400;
    for (let i = 0; i < n; i++) {
      const random = newId(0).slice(10);
      for (let p = 0; p < 25; p++) counts[p]!.set(random[p]!, (counts[p]!.get(random[p]!) ?? 0) + 1);
    }
    for (const byChar of counts) {
      expect(byChar.size).toBe(32);
      // Expected 400 each; a bias (e.g. one wasted bit) would halve or double some of them.
      for (const count of byChar.values()) {
        expect(count).toBeGreaterThan(250);
        expect(count).toBeLessThan(560);
      }
    }
  });

  it('never repeat, even made in the same millisecond', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 100_000; i++) seen.add(newId(1_700_000_000_000));
    expect(seen.size).toBe(100_000);
  });

  it('sort by creation time in byte order, across millisecond and character-carry boundaries', () => {
    const times = [0, 1, 31, 32, 1023, 1024, 1_700_000_000_000, 1_700_000_000_001, Date.now(), 2 ** 50 - 1];
    const ids = times.map((t) => newId(t));
    const sorted = [...ids].sort((a, b) => (Buffer.from(a) < Buffer.from(b) ? -1 : 1));
    expect(sorted).toEqual(ids);
    expect(ids.map(idTime)).toEqual(times);
    expect(ALPHABET.split('').sort().join('')).toBe(ALPHABET);
  });

  it('are accepted wherever an id is, as earlier cuid2 ids still are', () => {
    for (const id of [newId(), createId()]) {
      expect(Id.safeParse(id).success).toBe(true);
      expect(MessageIdParams.safeParse({ id }).success).toBe(true);
      expect(TaskIdParams.safeParse({ taskId: id }).success).toBe(true);
    }
    expect(idTime(createId())).toBeUndefined();
  });
});
