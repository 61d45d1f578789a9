// npm run chat:send -- --user <userId> --type confirmation --content "..." [--task <id>] [--data '<json>'] [--org <id>] [--priority high]
// The guide's "Manual Test": sends one message through the service and prints its result.
import * as chatResponseService from '@/lib/services/chat-response.service';
import { required, runCli } from './cli';

await runCli(
  {
    user: { type: 'string' },
    type: { type: 'string' },
    content: { type: 'string' },
    task: { type: 'string' },
    data: { type: 'string' },
    org: { type: 'string' },
    'idempotency-key': { type: 'string' },
    priority: { type: 'string' },
  },
  async (values) => {
    let data: Record<string, unknown> | undefined;
    if (typeof values.data === 'string') {
      try {
        data = JSON.parse(values.data) as Record<string, unknown>;
      } catch {
        throw new Error('--data must be valid JSON');
      }
    }
    const result = await chatResponseService.sendChatMessage(
      {
        type: required(values, 'type'),
        userId: required(values, 'user'),
        content: required(values, 'content'),
        taskId: values.task as string | undefined,
        data,
        idempotencyKey: values['idempotency-key'] as string | undefined,
        priority: values.priority as string | undefined,
        timestamp: new Date().toISOString(),
      },
      values.org as string | undefined,
    );
    return { ok: result.success, output: result };
  },
);
