import { randomBytes } from 'node:crypto';

/**
 * Row ids: 35 characters of lower-case Crockford base32 (`0-9a-z` without i, l, o, u), URL-safe:
 * - 10 characters (50 bits) of the creation time in milliseconds, so ids sort by time (to the
 *   millisecond) in PostgreSQL's byte order and new rows land at the right edge of the primary
 *   key's index instead of at random pages;
 * - 25 characters of 5 random bits each: 125 bits from the operating system's CSPRNG, so an id
 *   cannot be guessed (cuid2 ids, which earlier rows hold, stay valid: nothing parses an id).
 * Random bytes are drawn from `crypto.randomBytes` in pools of 256 ids, so one id costs under a
 * microsecond, where cuid2's `createId()` (a SHA-3 per call) cost 150-550 µs here.
 */

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const TIME_CHARS = 10;
const RANDOM_CHARS = 25;
/** Random bits in an id: 25 characters of 5 bits. */
export const ID_RANDOM_BITS = RANDOM_CHARS * 5;
export const ID_LENGTH = TIME_CHARS + RANDOM_CHARS;
export const ID_PATTERN = /^[0-9a-hjkmnp-tv-z]{35}$/;

const POOL_IDS = 256;
let pool = Buffer.alloc(0);
let offset = 0;

function timePart(ms: number): string {
  let out = '';
  let rest = ms;
  for (let i = 0; i < TIME_CHARS; i++) {
    out = ALPHABET[rest % 32]! + out;
    rest = Math.floor(rest / 32);
  }
  return out;
}

/** A new time-ordered, unguessable id (see the module comment). */
export function newId(now: number = Date.now()): string {
  if (offset + RANDOM_CHARS > pool.length) {
    pool = randomBytes(POOL_IDS * RANDOM_CHARS);
    offset = 0;
  }
  let out = timePart(now);
  // One byte per character, its low 5 bits: 256 is a multiple of 32, so each character is uniform.
  for (let i = 0; i < RANDOM_CHARS; i++) out += ALPHABET[pool[offset + i]! & 31]!;
  // Used bytes are zeroed, so no later reader of the buffer sees them.
  pool.fill(0, offset, offset + RANDOM_CHARS);
  offset += RANDOM_CHARS;
  return out;
}

/** The creation time an id written by `newId` carries, in milliseconds (undefined for other ids, e.g. cuid2). */
export function idTime(id: string): number | undefined {
  if (!ID_PATTERN.test(id)) return undefined;
  let ms = 0;
  for (const c of id.slice(0, TIME_CHARS)) ms = ms * 32 + ALPHABET.indexOf(c);
  return ms;
}
