import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeKey } from '@/lib/config/env';
import { open, seal } from './secret-box';

describe('secret box (AES-256-GCM)', () => {
  const key = randomBytes(32);

  it('opens what it sealed, and the box does not contain the plaintext', () => {
    const box = seal('hunter2-password', key, 'user1');
    expect(box).not.toContain('hunter2');
    expect(open(box, key, 'user1')).toBe('hunter2-password');
  });

  it('refuses another key, another context and an altered box', () => {
    const box = seal('pw', key, 'user1');
    expect(open(box, randomBytes(32), 'user1')).toBeUndefined();
    expect(open(box, key, 'user2')).toBeUndefined();
    const parts = box.split('.');
    parts[3] = Buffer.from('xx').toString('base64url');
    expect(open(parts.join('.'), key, 'user1')).toBeUndefined();
    expect(open('garbage', key, 'user1')).toBeUndefined();
  });

  it('seals the same plaintext differently each time (random IV)', () => {
    expect(seal('pw', key, 'u')).not.toBe(seal('pw', key, 'u'));
  });

  it('accepts 32-byte keys as base64 or hex and nothing else', () => {
    const raw = randomBytes(32);
    expect(decodeKey(raw.toString('base64'))?.equals(raw)).toBe(true);
    expect(decodeKey(raw.toString('hex'))?.equals(raw)).toBe(true);
    expect(decodeKey('short')).toBeUndefined();
    expect(decodeKey(randomBytes(16).toString('base64'))).toBeUndefined();
  });
});
