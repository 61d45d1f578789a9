// GET /api/scheduling-agent/tasks/{id} - one of the caller's tasks (404 for anyone else's)
import { withSession } from '@/lib/http/route';
import { TaskParams, TaskView } from '@/lib/schemas/tasks';
import * as taskService from '@/lib/services/scheduling-task.service';

export const GET = withSession({ limit: 'read', params: TaskParams, response: TaskView }, async ({ userId, params }) =>
  taskService.toTaskView(await taskService.getTask({ taskId: params.id, userId })),
);
