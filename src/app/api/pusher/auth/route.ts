// POST /api/pusher/auth - signs a Pusher subscription to the caller's own private channel only;
// with PUSHER_PRIVATE_CHANNEL=false it refuses every one (403): events reach signed-in connections only
import { withSession } from '@/lib/http/route';
import { authorizeUserChannel } from '@/lib/realtime/pusher';
import { PusherAuthBody, PusherAuthResponse } from '@/lib/schemas/chat-messages';

export const POST = withSession(
  { limit: 'pusher-auth', body: PusherAuthBody, bodyKinds: ['form', 'json'], response: PusherAuthResponse },
  async ({ userId, body }) => authorizeUserChannel(userId, body.socket_id, body.channel_name),
);
