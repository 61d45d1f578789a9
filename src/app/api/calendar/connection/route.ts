// PUT /api/calendar/connection { url, username, password } - connect the caller's CalDAV calendar (checked by signing in)
// GET /api/calendar/connection - the connection (url, username, status; never the password)
// DELETE /api/calendar/connection - forget it (the built-in calendar takes over)
import { withSession } from '@/lib/http/route';
import { CalendarConnectionInput, CalendarConnectionResponse, CalendarConnectionView, DeletedResponse } from '@/lib/schemas/calendar';
import * as connectionService from '@/lib/services/calendar-connection.service';

export const PUT = withSession(
  { limit: 'calendar-connection', body: CalendarConnectionInput, response: CalendarConnectionView },
  async ({ userId, body }) => connectionService.connect(userId, body),
);

export const GET = withSession({ limit: 'read', response: CalendarConnectionResponse }, async ({ userId }) =>
  connectionService.describe(userId),
);

export const DELETE = withSession({ limit: 'calendar-connection', response: DeletedResponse }, async ({ userId }) => ({
  deleted: await connectionService.disconnect(userId),
}));
