/**
 * Durations as operators write them in the environment: a whole number and a unit, `s m h d`
 * (`90s`, `15m`, `12h`, `7d`). Pure, so env.ts, the retention rules and the tests share it.
 */

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
type Unit = keyof typeof UNIT_MS;

/** Longest duration accepted: 100 years, far below where Date arithmetic loses precision. */
const MAX_MS = 100 * 365 * UNIT_MS.d;

/** Milliseconds of `text` (`7d`), or an error message saying what is wrong. */
export function parseDuration(text: string): { ms: number } | { error: string } {
  const match = /^(\d{1,12})([smhd])$/.exec(text.trim());
  if (!match) return { error: `"${text.trim()}" is not a duration: a whole number and a unit s, m, h or d (e.g. 7d)` };
  const ms = Number(match[1]) * UNIT_MS[match[2] as Unit];
  if (ms <= 0) return { error: `"${text.trim()}" must be longer than 0` };
  if (ms > MAX_MS) return { error: `"${text.trim()}" is longer than 100 years` };
  return { ms };
}

/** The shortest exact spelling of `ms` (a whole number of s, m, h or d). */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm'] as const) {
    if (ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  }
  return `${Math.round(ms / 1000)}s`;
}

/**
 * A comma-separated list of `KEY=DURATION` items (and, when `bareKey` is given, a bare
 * `DURATION` standing for that key). Keys are matched case-insensitively against `keys` and
 * returned as spelled there; a key given twice, an unknown key or a bad duration is an error.
 */
export function parseDurationRules<K extends string>(
  text: string,
  keys: readonly K[],
  bareKey?: K,
): { rules: Partial<Record<K, number>> } | { error: string } {
  const rules: Partial<Record<K, number>> = {};
  const items = text.split(',').map((item) => item.trim());
  if (items.some((item) => item === '')) return { error: 'has an empty item (two commas, or a comma at an end)' };
  for (const item of items) {
    const eq = item.indexOf('=');
    let key: K | undefined;
    let value: string;
    if (eq < 0) {
      if (!bareKey) return { error: `"${item}" must be KEY=DURATION with KEY one of ${keys.join(', ')}` };
      key = bareKey;
      value = item;
    } else {
      const name = item.slice(0, eq).trim().toUpperCase();
      key = keys.find((k) => k.toUpperCase() === name);
      if (!key) return { error: `"${item.slice(0, eq).trim()}" is not one of ${keys.join(', ')}` };
      value = item.slice(eq + 1);
    }
    if (rules[key] !== undefined) return { error: `${key} is given twice` };
    const duration = parseDuration(value);
    if ('error' in duration) return { error: `${key}: ${duration.error}` };
    rules[key] = duration.ms;
  }
  return { rules };
}
