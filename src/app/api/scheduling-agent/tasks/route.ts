// POST /api/scheduling-agent/tasks { request, timezone?, taskId? } - a chat request for the agent (202)
// GET  /api/scheduling-agent/tasks - the caller's 50 most recent tasks, newest first, each with the user's messages (userMessages)
import { withSession } from '@/lib/http/route';
import { SubmitTaskBody, SubmitTaskResponse, TaskListResponse } from '@/lib/schemas/tasks';
import * as taskService from '@/lib/services/scheduling-task.service';

export const POST = withSession(
  { limit: 'tasks', body: SubmitTaskBody, status: 202, response: SubmitTaskResponse },
  async ({ userId, body }) => taskService.submitRequest(userId, body),
);

// Its own budget: the chat UI re-reads it every second while the agent works.
export const GET = withSession({ limit: 'task-list', response: TaskListResponse }, async ({ userId }) => ({
  tasks: (await taskService.listRecentTasks(userId)).map(taskService.toTaskView),
}));
