// GET /api/chat-messages/{taskId} - the caller's messages of one task (another user's task: none)
import { withSession } from '@/lib/http/route';
import { TaskIdParams, TaskMessagesResponse } from '@/lib/schemas/chat-messages';
import * as chatResponseService from '@/lib/services/chat-response.service';
import { toTaskItem } from '@/lib/services/chat-message.views';

export const GET = withSession({ limit: 'read', params: TaskIdParams, response: TaskMessagesResponse }, async ({ userId, params }) => {
  const { messages } = await chatResponseService.getTaskMessages(params.taskId, userId);
  return { taskId: params.taskId, messages: messages.map(toTaskItem), count: messages.length };
});
