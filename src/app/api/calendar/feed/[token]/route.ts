// GET /api/calendar/feed/{token}.ics - the private ICS feed (no session: the token is the secret)
import { z } from 'zod';
import { withRoute } from '@/lib/http/route';
import { CalendarFeedParams } from '@/lib/schemas/calendar';
import * as feedService from '@/lib/services/calendar-feed.service';

export const GET = withRoute(
  { auth: 'none', limit: 'calendar-feed', params: CalendarFeedParams, response: z.string() },
  async ({ params }) => {
    const ics = await feedService.feedCalendar(params.token.replace(/\.ics$/, ''));
    return new Response(ics, {
      headers: {
        'Content-Type': 'text/calendar; charset=utf-8',
        'Cache-Control': 'private, max-age=300',
        'Referrer-Policy': 'no-referrer',
      },
    });
  },
);
