import { createAccount, fetchCalendarObjects, fetchCalendars, getBasicAuthHeaders, type DAVAccount, type DAVCalendar } from 'tsdav';
import { busyTimesOf, type BusyTime } from '@/lib/calendar-ics/ics';
import { getEnv } from '@/lib/config/env';
import { ANY_ADDRESS, forbiddenCause, guardedNetworkFetch, PUBLIC_ONLY } from './network-guard';

/**
 * A user's CalDAV calendar through `tsdav`: discovery (when connecting), busy times (expanded
 * from the events of a window), and writing/deleting one event by its file name. Every request
 * goes through `guardedFetch`, which turns a refused sign-in into `CalDavError('unauthorized')`
 * and an unreachable, slow or failing server into `CalDavError('unreachable')`: tsdav on its own
 * would read a 401 during a report as an empty calendar. Requests connect only to public addresses
 * (network-guard.ts, checked on every connection and redirect) unless CALDAV_ALLOW_PRIVATE_NETWORKS
 * is true; a refused address is `CalDavError('forbidden_address')`.
 */

export type CalDavFailure = 'unreachable' | 'unauthorized' | 'not_caldav' | 'no_calendar' | 'forbidden_address';

export class CalDavError extends Error {
  constructor(
    readonly kind: CalDavFailure,
    message: string,
  ) {
    super(message);
    this.name = 'CalDavError';
  }
}

export interface CalDavCredentials {
  url: string;
  username: string;
  password: string;
}

function guardedFetch(timeoutMs: number): typeof fetch {
  const networkFetch = guardedNetworkFetch(getEnv().CALDAV_ALLOW_PRIVATE_NETWORKS ? ANY_ADDRESS : PUBLIC_ONLY);
  return async (input, init) => {
    let response: Response;
    try {
      response = await networkFetch(input, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      const refused = forbiddenCause(err);
      if (refused) throw new CalDavError('forbidden_address', refused.message);
      const slow = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
      throw new CalDavError('unreachable', slow ? `no answer within ${timeoutMs} ms` : 'the server could not be reached');
    }
    if (response.status === 401 || response.status === 403) {
      throw new CalDavError('unauthorized', `the server refused the credentials (HTTP ${response.status})`);
    }
    if (response.status >= 500) throw new CalDavError('unreachable', `the server answered HTTP ${response.status}`);
    return response;
  };
}

const headersOf = (c: CalDavCredentials) => getBasicAuthHeaders({ username: c.username, password: c.password });

function asCalDavError(err: unknown, fallback: CalDavFailure, message: string): CalDavError {
  return err instanceof CalDavError ? err : new CalDavError(fallback, message);
}

/**
 * Signs in and finds the calendar to write to: the one `url` names, else the account's first
 * calendar collection that holds events.
 * @throws CalDavError for a server that cannot be reached, refused credentials, a URL that is not
 *   a CalDAV server, or an account without a calendar.
 */
export async function discoverCalendar(credentials: CalDavCredentials, timeoutMs: number): Promise<{ calendarUrl: string }> {
  const fetchFn = guardedFetch(timeoutMs);
  const headers = headersOf(credentials);
  let account: DAVAccount;
  try {
    account = await createAccount({
      account: {
        serverUrl: credentials.url,
        accountType: 'caldav',
        credentials: { username: credentials.username, password: credentials.password },
      },
      headers,
      fetch: fetchFn,
    });
  } catch (err) {
    throw asCalDavError(err, 'not_caldav', 'the URL does not lead to a CalDAV server');
  }
  let calendars: DAVCalendar[];
  try {
    calendars = await fetchCalendars({ account, headers, fetch: fetchFn });
  } catch (err) {
    throw asCalDavError(err, 'not_caldav', 'the server did not list calendars');
  }
  const events = calendars.filter((c) => !c.components || c.components.includes('VEVENT'));
  // A URL naming one of the calendars picks it; a server or account URL picks the first.
  const named = events.find((c) => new URL(c.url, credentials.url).href.replace(/\/?$/, '/') === credentials.url.replace(/\/?$/, '/'));
  const calendar = named ?? events[0];
  if (!calendar) throw new CalDavError('no_calendar', 'the account has no calendar for events');
  return { calendarUrl: calendar.url };
}

/** The busy times of the calendar overlapping [from, to) (series expanded). */
export async function busyTimes(
  credentials: CalDavCredentials,
  calendarUrl: string,
  from: Date,
  to: Date,
  timeoutMs: number,
): Promise<BusyTime[]> {
  const objects = await fetchCalendarObjects({
    calendar: { url: calendarUrl },
    timeRange: { start: from.toISOString(), end: to.toISOString() },
    headers: headersOf(credentials),
    fetch: guardedFetch(timeoutMs),
  }).catch((err: unknown) => {
    throw asCalDavError(err, 'unreachable', 'the calendar could not be read');
  });
  return objects.flatMap((o) => {
    if (typeof o.data !== 'string' || !o.data.includes('BEGIN:VCALENDAR')) return [];
    try {
      return busyTimesOf(o.data, from, to);
    } catch {
      return []; // One unreadable event must not hide the others.
    }
  });
}

const objectUrl = (calendarUrl: string, name: string) =>
  `${calendarUrl.endsWith('/') ? calendarUrl : `${calendarUrl}/`}${encodeURIComponent(name)}.ics`;

/** Creates or replaces the event file `name`.ics (a PUT without preconditions: writing twice is one event). */
export async function putEvent(
  credentials: CalDavCredentials,
  calendarUrl: string,
  name: string,
  ics: string,
  timeoutMs: number,
): Promise<void> {
  const response = await guardedFetch(timeoutMs)(objectUrl(calendarUrl, name), {
    method: 'PUT',
    headers: { ...headersOf(credentials), 'Content-Type': 'text/calendar; charset=utf-8' },
    body: ics,
  });
  await response.arrayBuffer();
  if (!response.ok) throw new CalDavError('unreachable', `the server refused the event (HTTP ${response.status})`);
}

/** Deletes the event file `name`.ics; one already gone counts as deleted. */
export async function deleteEvent(credentials: CalDavCredentials, calendarUrl: string, name: string, timeoutMs: number): Promise<void> {
  const response = await guardedFetch(timeoutMs)(objectUrl(calendarUrl, name), { method: 'DELETE', headers: headersOf(credentials) });
  await response.arrayBuffer();
  if (!response.ok && response.status !== 404 && response.status !== 410) {
    throw new CalDavError('unreachable', `the server refused the deletion (HTTP ${response.status})`);
  }
}
