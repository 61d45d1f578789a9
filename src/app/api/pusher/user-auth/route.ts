// POST /api/pusher/user-auth - signs the caller's Pusher connection in as the caller (pusher-js signin())
import { withSession } from '@/lib/http/route';
import { authenticatePusherUser } from '@/lib/realtime/pusher';
import { PusherUserAuthBody, PusherUserAuthResponse } from '@/lib/schemas/chat-messages';

export const POST = withSession(
  { limit: 'pusher-auth', body: PusherUserAuthBody, bodyKinds: ['form', 'json'], response: PusherUserAuthResponse },
  async ({ userId, body }) => authenticatePusherUser(userId, body.socket_id),
);
