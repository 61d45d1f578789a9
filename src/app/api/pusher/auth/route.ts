// POST /api/pusher/auth - signs a Pusher subscription to the caller's own private channel only
import { z } from 'zod';
import { withSession } from '@/lib/http/route';
import { authorizeUserChannel } from '@/lib/realtime/pusher';

const PusherAuthBody = z.object({
  socket_id: z.string({ message: 'is required' }).regex(/^\d{1,20}\.\d{1,20}$/, 'must look like 1234.5678'),
  channel_name: z.string({ message: 'is required' }).min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
});

export const POST = withSession(
  { limit: 'pusher-auth', body: PusherAuthBody, bodyKinds: ['form', 'json'] },
  async ({ userId, body }) => authorizeUserChannel(userId, body.socket_id, body.channel_name),
);
