// POST /api/calendar/feed - create or rotate the caller's private ICS feed URL (shown once; the old one stops working)
// GET /api/calendar/feed - whether the caller has a feed, and since when
// DELETE /api/calendar/feed - revoke it
import { withSession } from '@/lib/http/route';
import { CalendarFeedCreated, CalendarFeedStatus, DeletedResponse } from '@/lib/schemas/calendar';
import * as feedService from '@/lib/services/calendar-feed.service';

export const POST = withSession({ limit: 'calendar-connection', status: 201, response: CalendarFeedCreated }, async ({ userId, req }) => {
  const feed = await feedService.rotateFeed(userId);
  return { token: feed.token, url: new URL(feed.path, req.nextUrl.origin).toString(), createdAt: feed.createdAt.toISOString() };
});

export const GET = withSession({ limit: 'read', response: CalendarFeedStatus }, async ({ userId }) => feedService.feedStatus(userId));

export const DELETE = withSession({ limit: 'calendar-connection', response: DeletedResponse }, async ({ userId }) => ({
  deleted: await feedService.revokeFeed(userId),
}));
