import { describe, expect, it } from 'vitest';
import { clientAddress, LOCAL_FIRST_BUCKETS, storedSubject } from './index';

describe('rate-limit keys', () => {
  it('keeps a subject whose key fits the 255-character column, and hashes a longer one', () => {
    const fits = 'a'.repeat(255 - 'signin:'.length);
    expect(storedSubject('signin', fits)).toBe(fits);
    const long = `127.0.0.1 ${'x'.repeat(250)}@example.com`;
    const stored = storedSubject('signin', long);
    expect(stored).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(`signin:${stored}`.length).toBeLessThanOrEqual(255);
    // The same subject always maps to the same key (shared by every instance), another to another.
    expect(storedSubject('signin', long)).toBe(stored);
    expect(storedSubject('signin', `${long}.`)).not.toBe(stored);
  });

  it('reads the client address from the header our Node entry sets, in either header shape', () => {
    expect(clientAddress(new Headers({ 'x-chat-client-address': '203.0.113.7' }))).toBe('203.0.113.7');
    expect(clientAddress({ 'x-chat-client-address': '203.0.113.7' })).toBe('203.0.113.7');
    // X-Forwarded-For is the entry's business (TRUST_PROXY): here it never counts.
    expect(clientAddress(new Headers({ 'x-forwarded-for': '198.51.100.1' }))).toBe('unknown');
    expect(clientAddress(undefined)).toBe('unknown');
  });

  it('counts an IPv6 client by its /64 network', () => {
    const a = clientAddress({ 'x-chat-client-address': '2001:db8:1:2:aaaa::1' });
    expect(a).toBe('2001:db8:1:2::/64');
    expect(clientAddress({ 'x-chat-client-address': '2001:0DB8:0001:0002:ffff:1:2:3' })).toBe(a);
    expect(clientAddress({ 'x-chat-client-address': '2001:db8:1:3::1' })).not.toBe(a);
    expect(clientAddress({ 'x-chat-client-address': '::1' })).toBe('0:0:0:0::/64');
  });

  it('counts only signed-in request budgets locally first: sign-in, sign-up, password and metrics budgets stay strict', () => {
    for (const strict of ['signin', 'signin-address', 'signup', 'password-check', 'account', 'metrics']) {
      expect(LOCAL_FIRST_BUCKETS.has(strict), strict).toBe(false);
    }
    expect([...LOCAL_FIRST_BUCKETS].sort()).toEqual(['pusher-auth', 'read', 'stream', 'task-list', 'tasks', 'write']);
  });
});
