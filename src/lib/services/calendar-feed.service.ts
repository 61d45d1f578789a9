import { createHash, randomBytes } from 'node:crypto';
import { buildCalendar } from '@/lib/calendar-ics/ics';
import { AppError } from '@/lib/errors/app-error';
import * as feedRepository from '@/lib/repositories/calendar-feed.repository';
import { feedEvents } from './calendar.service';

/**
 * The private ICS feed: one secret URL per user that any calendar app can subscribe to, listing
 * what the agent booked (series with their RRULE and EXDATEs). The token (256 random bits) is
 * shown once; only its SHA-256 is stored, so a database leak does not reveal feed URLs. Creating a
 * new token revokes the old one; deleting the feed revokes it.
 */

/** How far back the feed lists single meetings. */
const FEED_HISTORY_DAYS = 30;

const hashOf = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

export const feedPath = (token: string) => `/api/calendar/feed/${token}.ics`;

/** Creates (or rotates) the user's feed; returns the token and its path, shown only now. */
export async function rotateFeed(userId: string): Promise<{ token: string; path: string; createdAt: Date }> {
  const token = randomBytes(32).toString('base64url');
  await feedRepository.replaceFeedHash(userId, hashOf(token));
  return { token, path: feedPath(token), createdAt: new Date() };
}

export async function revokeFeed(userId: string): Promise<boolean> {
  return feedRepository.deleteFeed(userId);
}

export async function feedStatus(userId: string): Promise<{ active: boolean; createdAt: string | null }> {
  const feed = await feedRepository.findFeed(userId);
  return { active: Boolean(feed), createdAt: feed?.createdAt.toISOString() ?? null };
}

/**
 * The feed's iCalendar text for `token`.
 * @throws AppError `not_found` for a token that is not (or no longer) a feed's.
 */
export async function feedCalendar(token: string): Promise<string> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) throw new AppError('not_found', 'No such calendar feed');
  const userId = await feedRepository.ownerOfFeed(hashOf(token));
  if (!userId) throw new AppError('not_found', 'No such calendar feed');
  const events = await feedEvents(userId, new Date(Date.now() - FEED_HISTORY_DAYS * 86_400_000));
  return buildCalendar(events, { name: 'Scheduling assistant' });
}
