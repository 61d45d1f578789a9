// GET /api/chat-messages/by-id/{id} - one of the caller's messages (for thin Pusher events); 404 otherwise
import { AppError } from '@/lib/errors/app-error';
import { withSession } from '@/lib/http/route';
import { ChatMessage, MessageIdParams } from '@/lib/schemas/chat-messages';
import * as chatResponseService from '@/lib/services/chat-response.service';
import { toStreamItem } from '@/lib/services/chat-message.views';

export const GET = withSession({ limit: 'read', params: MessageIdParams, response: ChatMessage }, async ({ userId, params }) => {
  const message = await chatResponseService.getMessageById({ id: params.id, userId });
  // Another user's message is answered exactly like a missing one, so ids cannot be probed.
  if (!message) throw new AppError('not_found', 'No such message');
  return toStreamItem(message);
});
