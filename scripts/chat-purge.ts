// npm run chat:purge - one retention pass now (CHAT_RETENTION): deletes expired messages in batches
// and prints { "deleted": N, "byType": { ... } }. Without CHAT_RETENTION nothing is deleted.
import * as retentionService from '@/lib/services/retention.service';
import { runCli } from './cli';

await runCli({}, async () => {
  const result = await retentionService.purgeExpiredMessages();
  return { ok: true, output: result };
});
