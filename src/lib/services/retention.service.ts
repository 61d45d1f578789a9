import { getEnv, type RetentionRules } from '@/lib/config/env';
import { formatDuration } from '@/lib/config/duration';
import { getDb, type Db } from '@/lib/db/client';
import { CHAT_MESSAGE_TYPES, type ChatMessageTypeName } from '@/lib/db/schema';
import { getLogger } from '@/lib/log/logger';
import * as chatMessageRepository from '@/lib/repositories/chat-message.repository';
import * as attachmentService from '@/lib/services/attachment.service';
import type { PurgedMessage } from '@/lib/repositories/chat-message.repository';
import type { RetentionResponse } from '@/lib/schemas/retention';

/**
 * Retention per message type (README "Retention"). CHAT_RETENTION says how long each type is
 * kept; `purgeExpiredMessages` deletes what is older, in bounded batches through the
 * chat-message repository, with the messages' attachments (rows and bytes, in whichever store). The recurring job (jobs/retention-jobs.ts) and `npm run chat:purge`
 * both call it.
 */

/** How long each type is kept, in ms (undefined: forever), and where the rule comes from. */
export function retentionOf(
  rules: RetentionRules | undefined,
  type: ChatMessageTypeName,
): { ms?: number; source: 'type' | 'default' | 'none' } {
  const own = rules?.byType[type];
  if (own !== undefined) return { ms: own, source: 'type' };
  if (rules?.default !== undefined) return { ms: rules.default, source: 'default' };
  return { source: 'none' };
}

/** The rules in force, as `GET /api/chat-messages/retention` answers. */
export function getRetentionRules(): RetentionResponse {
  const rules = getEnv().CHAT_RETENTION;
  return {
    keepForever: !rules || (rules.default === undefined && Object.keys(rules.byType).length === 0),
    rules: CHAT_MESSAGE_TYPES.map((type) => {
      const { ms, source } = retentionOf(rules, type);
      return {
        type,
        keepFor: ms === undefined ? null : formatDuration(ms),
        seconds: ms === undefined ? null : Math.round(ms / 1000),
        source,
      };
    }),
  };
}

/**
 * Called with every batch the purge deleted, after its DELETE committed: where stores outside the
 * database (e.g. attachment files) remove what belonged to those messages. Rows in the database
 * that point to a message must use ON DELETE CASCADE instead, so they go in the same statement.
 */
export type PurgeHook = (db: Db, deleted: PurgedMessage[]) => Promise<void>;
const purgeHooks: PurgeHook[] = [];

/** Registers a hook run after each purged batch (see `PurgeHook`). */
export function onMessagesPurged(hook: PurgeHook): void {
  if (!purgeHooks.includes(hook)) purgeHooks.push(hook);
}

export interface PurgeResult {
  deleted: number;
  byType: Partial<Record<ChatMessageTypeName, number>>;
}

/**
 * One pass: for every type with a rule, deletes its messages created before `now - keep`, batch
 * by batch (CHAT_RETENTION_BATCH_SIZE rows per short statement), until none is left. Nothing to
 * do without CHAT_RETENTION. Messages sent during the pass are newer than every cutoff, so the
 * pass ends however busy the sends are.
 */
export async function purgeExpiredMessages(options: { now?: Date; batchSize?: number } = {}): Promise<PurgeResult> {
  const env = getEnv();
  const rules = env.CHAT_RETENTION;
  const result: PurgeResult = { deleted: 0, byType: {} };
  if (!rules) return result;
  const db = await getDb();
  const now = options.now ?? new Date();
  const limit = options.batchSize ?? env.CHAT_RETENTION_BATCH_SIZE;
  for (const type of CHAT_MESSAGE_TYPES) {
    const { ms } = retentionOf(rules, type);
    if (ms === undefined) continue;
    const before = new Date(now.getTime() - ms);
    let count = 0;
    for (;;) {
      // One short transaction per batch: the attachment rows and the messages go together, and the
      // files' bytes (database or S3) right after it commits.
      const { deleted, files, found } = await db.transaction(async (tx) => {
        const ids = await chatMessageRepository.lockExpiredBatch(tx, { type, before, limit });
        const files = await attachmentService.deleteAttachmentRowsOfMessages(tx, ids);
        return { deleted: await chatMessageRepository.deleteMessagesByIds(tx, ids), files, found: ids.length };
      });
      await attachmentService.deleteStoredFiles(files);
      count += deleted.length;
      for (const hook of purgeHooks) await hook(db, deleted);
      // A short batch means nothing unlocked is left; locked rows are taken by the next pass.
      if (found < limit) break;
    }
    if (count > 0) result.byType[type] = count;
    result.deleted += count;
  }
  if (result.deleted > 0) getLogger().info(result, 'retention purge deleted expired messages');
  return result;
}
