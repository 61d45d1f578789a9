import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { hash, verify, type Algorithm } from '@node-rs/argon2';

/**
 * Password hashing at OWASP's current recommendation: argon2id with m=19 MiB, t=2, p=1
 * (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`, the parameters kept in each hash). Hashes of
 * the previous format (`scrypt$N$r$p$<salt>$<key>`, N=2^15) still verify, and `needsRehash`
 * tells the caller to replace them at the next successful sign-in.
 */

const ARGON2 = {
  // Algorithm.Argon2id: the package declares a `const enum`, which isolatedModules cannot read.
  algorithm: 2 as Algorithm,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
  outputLen: 32,
};
const CURRENT_PREFIX = `$argon2id$v=19$m=${ARGON2.memoryCost},t=${ARGON2.timeCost},p=${ARGON2.parallelism}$`;

// The same text however the keyboard composed it (e.g. precomposed or combining accents).
const normalize = (password: string) => password.normalize('NFKC');

/** Hashes a password as argon2id (OWASP parameters) with a fresh random salt. */
export function hashPassword(password: string): Promise<string> {
  return hash(normalize(password), ARGON2);
}

function deriveScrypt(password: string, salt: Buffer, N: number, r: number, p: number, keyLength: number): Promise<Buffer> {
  const options: ScryptOptions = { N, r, p, maxmem: 128 * N * r * 2 };
  return new Promise((resolve, reject) =>
    scrypt(normalize(password), salt, keyLength, options, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

async function verifyScrypt(password: string, stored: string): Promise<boolean> {
  const [, n, r, p, saltB64, keyB64] = stored.split('$');
  if (!saltB64 || !keyB64) return false;
  const expected = Buffer.from(keyB64, 'base64');
  const actual = await deriveScrypt(password, Buffer.from(saltB64, 'base64'), Number(n), Number(r), Number(p), expected.length);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** Checks a password against a stored hash (argon2id, or the older scrypt) in constant time; false for any malformed hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  try {
    if (stored.startsWith('$argon2id$')) return await verify(stored, normalize(password));
    if (stored.startsWith('scrypt$')) return await verifyScrypt(password, stored);
  } catch {
    // A malformed stored hash matches no password.
  }
  return false;
}

/** True for a stored hash that is not argon2id at today's parameters: replace it once the password is known. */
export function needsRehash(stored: string): boolean {
  return !stored.startsWith(CURRENT_PREFIX);
}

// A hash of a random password at today's parameters, so that checking a password for an email
// that has no account costs exactly what checking a real account's password costs.
let decoyHash: Promise<string> | undefined;

/** Spends the time of one `verifyPassword` against a current hash, and matches nothing. */
export async function verifyDecoy(password: string): Promise<void> {
  decoyHash ??= hashPassword(randomBytes(18).toString('base64'));
  await verifyPassword(password, await decoyHash);
}
