import { randomBytes, scryptSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashPassword, needsRehash, verifyDecoy, verifyPassword } from './password';

const CURRENT = /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;

function legacyScryptHash(password: string): string {
  const salt = randomBytes(16);
  const key = scryptSync(password, salt, 64, { N: 32_768, r: 8, p: 1, maxmem: 128 * 32_768 * 8 * 2 });
  return ['scrypt', 32_768, 8, 1, salt.toString('base64'), key.toString('base64')].join('$');
}

describe('password hashing', () => {
  it('hashes as argon2id at m=19 MiB, t=2, p=1 with a fresh salt, and verifies only the same password', async () => {
    const [one, two] = await Promise.all([hashPassword('correct horse'), hashPassword('correct horse')]);
    expect(one).toMatch(CURRENT);
    expect(one).not.toBe(two);
    expect(await verifyPassword('correct horse', one)).toBe(true);
    expect(await verifyPassword('correct horse!', one)).toBe(false);
    expect(needsRehash(one)).toBe(false);
  });

  it('verifies the older scrypt N=2^15 hashes and marks them for an upgrade', async () => {
    const legacy = legacyScryptHash('old password');
    expect(await verifyPassword('old password', legacy)).toBe(true);
    expect(await verifyPassword('old passwore', legacy)).toBe(false);
    expect(needsRehash(legacy)).toBe(true);
  });

  it('marks argon2id at weaker parameters for an upgrade', () => {
    expect(needsRehash('$argon2id$v=19$m=4096,t=3,p=1$c2FsdHNhbHQ$aGFzaGhhc2g')).toBe(true);
    expect(needsRehash('$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g')).toBe(true);
  });

  it('treats a malformed stored hash as matching nothing', async () => {
    for (const stored of ['', 'plain', 'scrypt$', '$argon2id$v=19$m=19456,t=2,p=1$', 'scrypt$x$y$z$$']) {
      expect(await verifyPassword('anything at all', stored)).toBe(false);
    }
  });

  it('compares passwords by their NFKC form (a precomposed and a combining accent are one password)', async () => {
    const stored = await hashPassword('caf\u00e9 au lait');
    expect(await verifyPassword('cafe\u0301 au lait', stored)).toBe(true);
  });

  it('the unknown-email decoy resolves and matches nothing', async () => {
    await expect(verifyDecoy('whatever it is')).resolves.toBeUndefined();
  });
});
