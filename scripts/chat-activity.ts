// npm run chat:activity -- --user <userId> --task <taskId> --state thinking|checking_availability|booking|idle [--label "..."]
// Sends one live activity (never stored) through the service to every open stream of the user on every
// instance (over the fan-out: PostgreSQL NOTIFY or Redis) and over Pusher when configured; prints the result.
import * as chatResponseService from '@/lib/services/chat-response.service';
import { required, runCli } from './cli';

await runCli(
  {
    user: { type: 'string' },
    task: { type: 'string' },
    state: { type: 'string' },
    label: { type: 'string' },
  },
  async (values) => {
    const result = await chatResponseService.sendActivity({
      userId: required(values, 'user'),
      taskId: required(values, 'task'),
      // The service checks the state and the label and names the field it refuses.
      state: required(values, 'state') as Parameters<typeof chatResponseService.sendActivity>[0]['state'],
      ...(typeof values.label === 'string' && { label: values.label }),
    });
    return { ok: result.success, output: result };
  },
);
