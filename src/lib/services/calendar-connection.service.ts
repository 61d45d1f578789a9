import { CalDavError, discoverCalendar, type CalDavCredentials } from '@/lib/caldav/caldav-client';
import { decodeKey, getEnv } from '@/lib/config/env';
import { open, seal } from '@/lib/crypto/secret-box';
import { AppError } from '@/lib/errors/app-error';
import { getLogger } from '@/lib/log/logger';
import * as connectionRepository from '@/lib/repositories/calendar-connection.repository';
import type { CalendarConnectionInput, CalendarConnectionView } from '@/lib/schemas/calendar';

/**
 * A user's CalDAV calendar connection: checked by signing in before it is stored, the password
 * sealed with CALENDAR_ENCRYPTION_KEY (AES-256-GCM, bound to the user id), never returned and
 * never logged (log lines carry the user id and the failure kind only).
 */

function encryptionKey(): Buffer | undefined {
  const text = getEnv().CALENDAR_ENCRYPTION_KEY;
  return text ? decodeKey(text) : undefined;
}

const NOT_CONFIGURED = 'Calendar connections are turned off on this server (CALENDAR_ENCRYPTION_KEY is not set)';

const FAILURE_MESSAGES: Record<CalDavError['kind'], string> = {
  unreachable: 'url: the calendar server could not be reached',
  unauthorized: 'password: the calendar server refused this username and password',
  not_caldav: 'url: this URL does not lead to a CalDAV server',
  no_calendar: 'url: the account has no calendar for events',
  forbidden_address:
    'url: the calendar server is on a loopback, private, link-local or reserved address, which this server does not connect to',
};

/**
 * Connects (or reconnects) the user's CalDAV calendar after signing in to it.
 * @throws AppError `service_unavailable` without CALENDAR_ENCRYPTION_KEY; `invalid_input` naming
 *   the field when the server cannot be reached, refuses the credentials, is not CalDAV, or has
 *   no calendar. Nothing is stored then.
 */
export async function connect(userId: string, input: CalendarConnectionInput): Promise<CalendarConnectionView> {
  const key = encryptionKey();
  if (!key) throw new AppError('service_unavailable', NOT_CONFIGURED);
  let calendarUrl: string;
  try {
    ({ calendarUrl } = await discoverCalendar(input, getEnv().CALDAV_TIMEOUT_MS));
  } catch (err) {
    if (!(err instanceof CalDavError)) throw err;
    getLogger().info({ userId, failure: err.kind }, 'calendar connection refused');
    throw new AppError('invalid_input', FAILURE_MESSAGES[err.kind]);
  }
  const row = await connectionRepository.saveConnection({
    userId,
    url: input.url,
    username: input.username,
    sealedPassword: seal(input.password, key, userId),
    calendarUrl,
  });
  getLogger().info({ userId }, 'calendar connected');
  return view(row);
}

const view = (row: { url: string; username: string; status: string; checkedAt: Date; calendarUrl: string }): CalendarConnectionView => ({
  connected: true,
  url: row.url,
  username: row.username,
  calendarUrl: row.calendarUrl,
  status: row.status as CalendarConnectionView['status'],
  checkedAt: row.checkedAt.toISOString(),
});

/** The user's connection as the API shows it (never the password). */
export async function describe(userId: string): Promise<CalendarConnectionView | { connected: false }> {
  const row = await connectionRepository.findConnection(userId);
  return row ? view(row) : { connected: false };
}

/** Forgets the user's connection (the built-in calendar takes over); false when there was none. */
export async function disconnect(userId: string): Promise<boolean> {
  return connectionRepository.deleteConnection(userId);
}

/** What the agent uses to reach the user's calendar: credentials and the calendar's URL. */
export interface OpenConnection {
  credentials: CalDavCredentials;
  calendarUrl: string;
  status: string;
}

/**
 * The user's connection with its password opened, or undefined when they have none. A connection
 * sealed with another key (the key was changed) counts as unauthorized: the user reconnects.
 */
export async function openConnection(userId: string): Promise<OpenConnection | undefined> {
  const row = await connectionRepository.findConnection(userId);
  if (!row) return undefined;
  const key = encryptionKey();
  const password = key ? open(row.sealedPassword, key, userId) : undefined;
  if (password === undefined) throw new CalDavError('unauthorized', 'the stored credentials cannot be opened with this server key');
  return { credentials: { url: row.url, username: row.username, password }, calendarUrl: row.calendarUrl, status: row.status };
}

/** Records what the last use found, when it changed. */
export async function recordStatus(userId: string, previous: string, status: connectionRepository.ConnectionStatus): Promise<void> {
  if (previous !== status) await connectionRepository.setStatus(userId, status);
}
