import pg from 'pg';
import { closeDatabase, openDatabase, setDatabase } from '@/lib/db/client';
import { consumeRateLimit } from '@/lib/rate-limit';
import * as chatResponseService from '@/lib/services/chat-response.service';

/**
 * The plans of every query the service (and the API's rate limiter) runs, taken from the SQL
 * they really send: the process-wide pool is wrapped so each statement is recorded; reads run,
 * writes are recorded but not run (the seeded data stays as it is). Each statement is then
 * EXPLAIN (ANALYZE, BUFFERS)-ed with its own parameters inside a transaction that is rolled back.
 */

interface Captured {
  label: string;
  text: string;
  values: unknown[];
}

export interface ExplainedQuery extends Captured {
  plan: string;
  usesIndex: boolean;
  seqScanOnMessages: boolean;
}

const WRITE = /^\s*(with\b[\s\S]*?\)\s*)?(insert|update|delete)\b|pg_notify/i;

export async function explainServiceQueries(
  url: string,
  sample: { userId: string; taskId: string; messageIds: string[] },
): Promise<ExplainedQuery[]> {
  const database = await openDatabase({ databaseUrl: url, pgliteDir: 'unused', poolSize: 2 });
  if (database.kind !== 'postgres') throw new Error('unreachable');
  const captured: Captured[] = [];
  let label = '';
  const realQuery = database.pool.query.bind(database.pool) as (...args: unknown[]) => Promise<unknown>;
  (database.pool as unknown as { query: (...args: unknown[]) => Promise<unknown> }).query = (config: unknown, values?: unknown) => {
    const text = typeof config === 'string' ? config : (config as { text: string }).text;
    const params = (Array.isArray(values) ? values : ((config as { values?: unknown[] }).values ?? [])) as unknown[];
    // The store statement is answered "nothing inserted" below, so the service goes on to look up
    // the earlier row of a repeated idempotency key: that lookup is the second statement of a send.
    const name =
      /"idempotencyKey" = \$/.test(text) && label.startsWith('sendChatMessage') ? 'sendChatMessage (repeated idempotencyKey)' : label;
    captured.push({ label: name, text, values: params });
    if (WRITE.test(text)) return Promise.resolve({ rows: [], rowCount: 0, fields: [], command: 'INSERT' });
    return realQuery(config, values);
  };
  setDatabase(database);
  const step = async (name: string, fn: () => Promise<unknown>) => {
    label = name;
    await fn().catch(() => undefined);
  };
  const { userId, taskId, messageIds } = sample;
  await step('sendChatMessage (store)', () =>
    chatResponseService.sendChatMessage({ type: 'info', userId, taskId, content: 'explain', idempotencyKey: 'explain-key' }),
  );
  await step('getUnreadMessages', () => chatResponseService.getUnreadMessages(userId, 50));
  await step('getUnreadCount', () => chatResponseService.getUnreadCount(userId));
  await step('markMessagesAsRead', () => chatResponseService.markMessagesAsRead(messageIds, userId));
  await step('markAllAsRead', () => chatResponseService.markAllAsRead(userId, 90));
  await step('getTaskMessages', () => chatResponseService.getTaskMessages(taskId, userId));
  await step('getMessagesAfter (SSE replay, fan-out load)', () => chatResponseService.getMessagesAfter(userId, 80, 500));
  await step('getLastPosition', () => chatResponseService.getLastPosition(userId));
  await step('getMessageById', () => chatResponseService.getMessageById({ id: messageIds[0]!, userId }));
  await step('rate limit (every API request)', () => consumeRateLimit('read', userId));
  await closeDatabase();

  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const seen = new Set<string>();
  const explained: ExplainedQuery[] = [];
  try {
    for (const query of captured) {
      // pg_notify touches no table; the same statement run twice is explained once.
      if (/pg_notify/.test(query.text) || seen.has(query.text)) continue;
      seen.add(query.text);
      await client.query('BEGIN');
      try {
        const result = await client.query(`EXPLAIN (ANALYZE, BUFFERS) ${query.text}`, query.values);
        const plan = result.rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n');
        explained.push({
          ...query,
          plan,
          usesIndex: /Index (Only )?Scan|Bitmap Index Scan|Conflict Arbiter Indexes/.test(plan),
          seqScanOnMessages: /Seq Scan on chat_messages/.test(plan),
        });
      } finally {
        await client.query('ROLLBACK');
      }
    }
  } finally {
    await client.end();
  }
  return explained;
}
