import { randomBytes } from 'node:crypto';
import { getBasicAuthHeaders, makeCalendar } from 'tsdav';
import { resetEnvCache } from '@/lib/config/env';
import * as connectionService from '@/lib/services/calendar-connection.service';
import type { RadicaleServer } from './radicale';

// A user's CalDAV calendar on the test Radicale (radicale.ts), as the agent suites set it up.

/**
 * CalDAV's environment for a suite: a fresh encryption key, a 5 s timeout and, unless
 * `allowPrivate` is false, private networks allowed (Radicale runs on loopback). Returns the undo.
 */
export function useCalDavEnv({ allowPrivate = true }: { allowPrivate?: boolean } = {}): () => void {
  process.env.CALENDAR_ENCRYPTION_KEY = randomBytes(32).toString('base64');
  process.env.CALDAV_TIMEOUT_MS = '5000';
  if (allowPrivate) process.env.CALDAV_ALLOW_PRIVATE_NETWORKS = 'true';
  resetEnvCache();
  return () => {
    delete process.env.CALENDAR_ENCRYPTION_KEY;
    delete process.env.CALDAV_TIMEOUT_MS;
    delete process.env.CALDAV_ALLOW_PRIVATE_NETWORKS;
    resetEnvCache();
  };
}

export interface RadicaleAccount {
  username: string;
  password: string;
  /** The account's one calendar ("Work"). */
  calendarUrl: string;
  /** Basic auth headers, with the account's password unless told another. */
  auth: (password?: string) => Record<string, string>;
}

/** A fresh Radicale account (a random name starting with `prefix`) with one calendar, as a real user would have. */
export async function radicaleAccount(
  radicale: RadicaleServer,
  { password, prefix = 'u' }: { password: string; prefix?: string },
): Promise<RadicaleAccount> {
  const username = `${prefix}${randomBytes(4).toString('hex')}`;
  radicale.setPassword(username, password);
  const calendarUrl = `${radicale.url}${username}/work/`;
  const auth = (other = password) => getBasicAuthHeaders({ username, password: other });
  const made = await makeCalendar({ url: calendarUrl, props: { displayname: 'Work' }, headers: auth() });
  if (!made[0]?.ok) throw new Error(`Radicale did not make the calendar ${calendarUrl}: ${made[0]?.status}`);
  return { username, password, calendarUrl, auth };
}

/** A fresh Radicale account with one calendar, connected as `userId`'s calendar. */
export async function connectRadicaleCalendar(
  radicale: RadicaleServer,
  { userId, password, prefix }: { userId: string; password: string; prefix?: string },
): Promise<RadicaleAccount> {
  const account = await radicaleAccount(radicale, { password, ...(prefix && { prefix }) });
  await connectionService.connect(userId, { url: radicale.url, username: account.username, password });
  return account;
}
