import { TEST_AUTH_SECRET } from '@test/helpers/app-server';
import { mintSessionToken } from '@test/helpers/sessions';

/**
 * Shared pieces of the fault tests. Every figure a test reports goes through `report`, so the
 * run's output shows what load was held, which faults were injected and what was checked.
 */

/**
 * A `next-auth.session-token` cookie for `userId`, as NextAuth issues it to the apps startApp runs.
 * The user and session rows go to the process-wide database, which must be the app's (`setDatabase`).
 */
export async function sessionCookie(userId: string): Promise<string> {
  return `next-auth.session-token=${await mintSessionToken(userId, TEST_AUTH_SECRET)}`;
}

/** Prints a test's figures as one block (vitest shows it with the test's name). */
export function report(title: string, figures: Record<string, unknown>): void {
  const width = Math.max(...Object.keys(figures).map((k) => k.length));
  const lines = Object.entries(figures).map(([k, v]) => `  ${k.padEnd(width)}  ${typeof v === 'string' ? v : JSON.stringify(v)}`);
  console.log(`[faults] ${title}\n${lines.join('\n')}`);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Counts of each distinct value. */
export function tally<T extends string | number>(values: T[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[String(v)] = (out[String(v)] ?? 0) + 1;
  return out;
}
