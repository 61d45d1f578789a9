// Over 300 lines: one owner per table, so every query on chat_messages and chat_user_cursors
// stays in this one file, where the states a row can be in are visible together.
import { newId } from '@/lib/db/ids';
import { and, asc, count, desc, eq, gt, inArray, lt, lte, sql } from 'drizzle-orm';
import type { Db } from '@/lib/db/client';
import {
  chatMessages,
  chatUserCursors,
  type ChatMessagePriorityName,
  type ChatMessageRow,
  type ChatMessageTypeName,
} from '@/lib/db/schema';

/**
 * The one module that reads and writes `chat_messages` (and the position counter in
 * `chat_user_cursors`). The services validate and publish, the real-time layer replays and fans
 * out; both read through here, so the queries and the indexes they rely on are in one file.
 * Callers validate their arguments; these functions trust them. Each takes the database handle
 * so tests run it on a fresh PGlite or PostgreSQL database.
 */

/** A message's owner and one of its ids: two strings that must not be swapped. */
export interface MessageOfUser {
  id: string;
  userId: string;
}

/** The columns a new message is stored with (`id` and `position` are assigned here). */
export type NewChatMessage = Omit<typeof chatMessages.$inferInsert, 'position' | 'id'>;

/**
 * The store statement, one per database handle. A data-modifying CTE takes the user's next
 * position from `chat_user_cursors`; the row lock it takes is held until the statement commits,
 * so one user's positions commit in increasing order. A repeated idempotency key inserts nothing
 * (ON CONFLICT DO NOTHING waits for a concurrent insert of the same key and sees it once committed).
 *
 * One prepared statement, because the send path is measured against a raw INSERT
 * (bench/RESULTS.md): the BEGIN / cursor / INSERT / COMMIT sequence this replaces cost three more
 * round trips per send, and building the query with Drizzle on every call cost as much again.
 * Prepared, Drizzle builds the SQL once and PostgreSQL parses and plans it once per connection.
 */
function prepareInsert(db: Db) {
  const cursor = db.$with('cursor').as(
    db
      .insert(chatUserCursors)
      .values({ userId: sql.placeholder('userId'), lastPosition: 1 })
      .onConflictDoUpdate({
        target: chatUserCursors.userId,
        set: { lastPosition: sql`${chatUserCursors.lastPosition} + 1` },
      })
      .returning({ position: chatUserCursors.lastPosition }),
  );
  return db
    .with(cursor)
    .insert(chatMessages)
    .values({
      id: sql.placeholder('id'),
      userId: sql.placeholder('userId'),
      orgId: sql.placeholder('orgId'),
      taskId: sql.placeholder('taskId'),
      type: sql.placeholder('type'),
      content: sql.placeholder('content'),
      // Passed as JSON text: the jsonb encoder would turn SQL NULL into JSON null.
      data: sql`${sql.placeholder('data')}::jsonb`,
      idempotencyKey: sql.placeholder('idempotencyKey'),
      attachments: sql`${sql.placeholder('attachments')}::jsonb`,
      priority: sql.placeholder('priority'),
      position: sql`(select ${cursor.position} from ${cursor})`,
    })
    .onConflictDoNothing({ target: [chatMessages.userId, chatMessages.idempotencyKey] })
    .returning()
    .prepare('chat_store_message');
}

const insertStatements = new WeakMap<Db, ReturnType<typeof prepareInsert>>();

/**
 * Stores a message at the user's next position and returns the row, or, for an idempotency key
 * used before, the earlier row's id and position (`duplicate: true`). For a repeated key the
 * position just taken is left unused: positions only promise to increase, not to be dense.
 */
export async function insertMessage(
  db: Db,
  values: NewChatMessage & { id?: string },
): Promise<{ row: ChatMessageRow; duplicate: false } | { row: Pick<ChatMessageRow, 'id' | 'position'>; duplicate: true }> {
  let statement = insertStatements.get(db);
  if (!statement) {
    statement = prepareInsert(db);
    insertStatements.set(db, statement);
  }
  const [row] = await statement.execute({
    id: values.id ?? newId(),
    userId: values.userId,
    orgId: values.orgId ?? null,
    taskId: values.taskId ?? null,
    type: values.type,
    content: values.content,
    data: values.data == null ? null : JSON.stringify(values.data),
    idempotencyKey: values.idempotencyKey ?? null,
    attachments: JSON.stringify(values.attachments ?? []),
    priority: values.priority ?? 'NORMAL',
  });
  if (row) return { row, duplicate: false };
  // Nothing inserted: only a repeated idempotency key does that (NULL keys never conflict).
  const [existing] = values.idempotencyKey
    ? await db
        .select({ id: chatMessages.id, position: chatMessages.position })
        .from(chatMessages)
        .where(and(eq(chatMessages.userId, values.userId), eq(chatMessages.idempotencyKey, values.idempotencyKey)))
    : [];
  if (!existing) throw new Error('chat message was neither stored nor found by its idempotency key');
  return { row: existing, duplicate: true };
}

/**
 * The unread page and the unread count in one prepared statement (polling runs it for every
 * user every few seconds; bench/RESULTS.md, read path): one round trip instead of two, the SQL
 * built once, and page and count from one snapshot. The count is an uncorrelated subquery,
 * computed once. `read = false` is a literal so that the partial unread index also serves the
 * generic plan PostgreSQL may settle on for a prepared statement.
 */
function prepareUnreadPage(db: Db) {
  // `minPriority` LOW (every message) unless the caller filters; the enum is declared in level order.
  const unread = and(
    eq(chatMessages.userId, sql.placeholder('userId')),
    sql`${chatMessages.read} = false`,
    sql`${chatMessages.priority} >= ${sql.placeholder('minPriority')}::"ChatMessagePriority"`,
  );
  return (
    db
      .select({ message: chatMessages, total: db.$count(chatMessages, unread) })
      .from(chatMessages)
      .where(unread)
      // Ties of createdAt (sends in one millisecond) go by position, the user's send order: the
      // guide breaks them by id, which with random ids would shuffle them.
      .orderBy(asc(chatMessages.createdAt), asc(chatMessages.position))
      .limit(sql.placeholder('limit'))
      .prepare('chat_unread_page')
  );
}

const unreadPageStatements = new WeakMap<Db, ReturnType<typeof prepareUnreadPage>>();

/**
 * The user's oldest `limit` unread messages (ties in send order) of priority `minPriority` or
 * above (default: all), and the number of such unread messages in all.
 */
export async function selectUnreadPage(
  db: Db,
  query: { userId: string; limit: number; minPriority?: ChatMessagePriorityName },
): Promise<{ messages: ChatMessageRow[]; total: number }> {
  let statement = unreadPageStatements.get(db);
  if (!statement) {
    statement = prepareUnreadPage(db);
    unreadPageStatements.set(db, statement);
  }
  const rows = await statement.execute({ userId: query.userId, limit: query.limit, minPriority: query.minPriority ?? 'LOW' });
  return { messages: rows.map((r) => r.message), total: rows[0]?.total ?? 0 };
}

/** How many unread messages the user has. */
export async function countUnread(db: Db, userId: string): Promise<number> {
  const [row] = await db
    .select({ total: count() })
    .from(chatMessages)
    .where(and(eq(chatMessages.userId, userId), eq(chatMessages.read, false)));
  return row?.total ?? 0;
}

/** How many unread messages the user has per priority (priorities with none are left out). */
export async function countUnreadByPriority(db: Db, userId: string): Promise<Partial<Record<ChatMessagePriorityName, number>>> {
  const rows = await db
    .select({ priority: chatMessages.priority, total: count() })
    .from(chatMessages)
    .where(and(eq(chatMessages.userId, userId), eq(chatMessages.read, false)))
    .groupBy(chatMessages.priority);
  return Object.fromEntries(rows.map((r) => [r.priority, r.total]));
}

/** A message whose read state a call changed. */
export type MarkedMessage = Pick<ChatMessageRow, 'id' | 'position'>;

/** Marks the user's unread messages among `ids` as read and stamps `readAt`; returns those it changed. */
export function markIdsRead(db: Db, change: { userId: string; ids: string[] }): Promise<MarkedMessage[]> {
  return db
    .update(chatMessages)
    .set({ read: true, readAt: sql`now()` })
    .where(and(eq(chatMessages.userId, change.userId), eq(chatMessages.read, false), inArray(chatMessages.id, change.ids)))
    .returning({ id: chatMessages.id, position: chatMessages.position });
}

/** Marks the user's unread messages at or before position `upTo` as read; returns those it changed. */
export function markReadUpTo(db: Db, change: { userId: string; upTo: number }): Promise<MarkedMessage[]> {
  return db
    .update(chatMessages)
    .set({ read: true, readAt: sql`now()` })
    .where(and(eq(chatMessages.userId, change.userId), eq(chatMessages.read, false), lte(chatMessages.position, change.upTo)))
    .returning({ id: chatMessages.id, position: chatMessages.position });
}

/**
 * The user's messages with `position > afterPosition`, in position order, at most `limit`.
 * Served by the unique `(userId, position)` index: an index range scan, no sort.
 * Positions of one user commit in increasing order, so the result is always every committed
 * message in `(afterPosition, last returned]`: a reader advancing its cursor this way skips nothing.
 */
export function selectMessagesAfter(db: Db, query: { userId: string; afterPosition: number; limit: number }): Promise<ChatMessageRow[]> {
  return db
    .select()
    .from(chatMessages)
    .where(and(eq(chatMessages.userId, query.userId), gt(chatMessages.position, query.afterPosition)))
    .orderBy(asc(chatMessages.position))
    .limit(query.limit);
}

/**
 * One page of `selectMessagesAfter`, and whether another page follows its last message (read as
 * one row more than asked, so no count is needed).
 *
 * With `maxBytes` the page is bounded by size too: rows are taken in position order while the
 * rows before them hold fewer than `maxBytes` bytes (content plus data as JSON text, measured in
 * the database), so a page holds at most `maxBytes` plus one message, however big the messages
 * are, and at least one message when there is any. `bytes` is the page's size by that measure.
 * The sizes are computed on at most `limit + 1` rows (jsonb is serialized to measure it), so a
 * caller paging through big messages keeps `limit` near what a page holds.
 */
export async function selectPageAfter(
  db: Db,
  query: { userId: string; afterPosition: number; limit: number; maxBytes?: number },
): Promise<{ messages: ChatMessageRow[]; hasMore: boolean; bytes?: number }> {
  if (query.maxBytes !== undefined) return selectPageWithin(db, { ...query, maxBytes: query.maxBytes });
  const rows = await selectMessagesAfter(db, { ...query, limit: query.limit + 1 });
  const hasMore = rows.length > query.limit;
  return { messages: hasMore ? rows.slice(0, query.limit) : rows, hasMore };
}

async function selectPageWithin(
  db: Db,
  query: { userId: string; afterPosition: number; limit: number; maxBytes: number },
): Promise<{ messages: ChatMessageRow[]; hasMore: boolean; bytes: number }> {
  const size = sql<number>`octet_length(${chatMessages.content}) + coalesce(octet_length(${chatMessages.data}::text), 0)`;
  // The limit is applied before the running sum, so only `limit + 1` rows are ever measured.
  const ahead = db.$with('ahead').as(
    db
      .select({ position: chatMessages.position, size: size.as('size') })
      .from(chatMessages)
      .where(and(eq(chatMessages.userId, query.userId), gt(chatMessages.position, query.afterPosition)))
      .orderBy(asc(chatMessages.position))
      .limit(query.limit + 1),
  );
  const measured = db.$with('measured').as(
    db
      .select({
        position: ahead.position,
        size: ahead.size,
        before:
          sql<number>`coalesce(sum(${ahead.size}) over (order by ${ahead.position} rows between unbounded preceding and 1 preceding), 0)`.as(
            'before',
          ),
        n: sql<number>`row_number() over (order by ${ahead.position})`.as('n'),
      })
      .from(ahead),
  );
  const taken = db.$with('taken').as(
    db
      .select({ position: measured.position, size: measured.size })
      .from(measured)
      .where(sql`${measured.before} < ${query.maxBytes} and ${measured.n} <= ${query.limit}`),
  );
  const rows = await db
    .with(ahead, measured, taken)
    .select({
      message: chatMessages,
      more: sql<boolean>`(select count(*) from ${ahead}) > (select count(*) from ${taken})`,
      bytes: sql<string>`(select sum(${taken.size}) from ${taken})`,
    })
    .from(chatMessages)
    .where(and(eq(chatMessages.userId, query.userId), inArray(chatMessages.position, db.select({ position: taken.position }).from(taken))))
    .orderBy(asc(chatMessages.position));
  return { messages: rows.map((r) => r.message), hasMore: rows[0]?.more ?? false, bytes: Number(rows[0]?.bytes ?? 0) };
}

/**
 * The last position handed out to the user (0 before their first message), from the position
 * counter rather than the messages: once the retention purge has deleted a user's newest
 * messages, a client must still get a cursor at or beyond every position ever used, or it would
 * move backwards. The counter's committed value is never below a committed message's position
 * (both are written by one statement), and a position it skips (a repeated idempotency key) is
 * simply never used.
 */
export async function selectLastPosition(db: Db, userId: string): Promise<number> {
  const [row] = await db.select({ position: chatUserCursors.lastPosition }).from(chatUserCursors).where(eq(chatUserCursors.userId, userId));
  return row?.position ?? 0;
}

/** A message the retention purge deleted. */
export type PurgedMessage = Pick<ChatMessageRow, 'id' | 'userId' | 'type'>;

/**
 * Locks and returns the ids of at most `limit` messages of `type` created before `before`, oldest
 * first, for the caller's transaction to delete (`deleteMessagesByIds`). Bounded and index-backed:
 * the `(type, createdAt)` index finds the rows, so one batch holds row locks on at most `limit` rows
 * for one short transaction (no table lock, no rewrite). Rows another transaction holds locked
 * (being marked read) are skipped and taken by a later batch.
 */
export async function lockExpiredBatch(tx: Db, batch: { type: ChatMessageTypeName; before: Date; limit: number }): Promise<string[]> {
  const rows = await tx
    .select({ id: chatMessages.id })
    .from(chatMessages)
    .where(and(eq(chatMessages.type, batch.type), lt(chatMessages.createdAt, batch.before)))
    .orderBy(asc(chatMessages.createdAt))
    .limit(batch.limit)
    .for('update', { skipLocked: true });
  return rows.map((r) => r.id);
}

/**
 * Deletes these messages (the retention purge) and returns them. Complete deletion: rows in other
 * tables that point to a message go with it (ON DELETE CASCADE, e.g. chat_escalations); files
 * stored outside chat_messages are the caller's (src/lib/services/retention.service.ts). The
 * position counter (`chat_user_cursors`) is kept, so positions are never handed out again.
 */
export async function deleteMessagesByIds(tx: Db, ids: string[]): Promise<PurgedMessage[]> {
  if (ids.length === 0) return [];
  return tx
    .delete(chatMessages)
    .where(inArray(chatMessages.id, ids))
    .returning({ id: chatMessages.id, userId: chatMessages.userId, type: chatMessages.type });
}

/** The user's latest `limit` messages, read or not, oldest first (the `(userId, position)` index read backwards). */
export async function selectRecent(db: Db, query: { userId: string; limit: number }): Promise<ChatMessageRow[]> {
  const rows = await db
    .select()
    .from(chatMessages)
    .where(eq(chatMessages.userId, query.userId))
    .orderBy(desc(chatMessages.position))
    .limit(query.limit);
  return rows.reverse();
}

/** One message by id, only if it is the user's. */
export async function selectById(db: Db, message: MessageOfUser): Promise<ChatMessageRow | null> {
  const [row] = await db
    .select()
    .from(chatMessages)
    .where(and(eq(chatMessages.id, message.id), eq(chatMessages.userId, message.userId)))
    .limit(1);
  return row ?? null;
}

/** The user's messages of one task, oldest first (ties in send order), at most `limit`. */
export function selectByTask(db: Db, query: { taskId: string; userId: string; limit: number }): Promise<ChatMessageRow[]> {
  return db
    .select()
    .from(chatMessages)
    .where(and(eq(chatMessages.taskId, query.taskId), eq(chatMessages.userId, query.userId)))
    .orderBy(asc(chatMessages.createdAt), asc(chatMessages.position))
    .limit(query.limit);
}

/** Deletes every message of the user and their position counter (account deletion); returns the counts. */
export async function deleteAllOfUser(db: Db, userId: string): Promise<{ chatMessages: number; chatUserCursors: number }> {
  const messages = await db.delete(chatMessages).where(eq(chatMessages.userId, userId)).returning({ id: chatMessages.id });
  const cursors = await db.delete(chatUserCursors).where(eq(chatUserCursors.userId, userId)).returning({ userId: chatUserCursors.userId });
  return { chatMessages: messages.length, chatUserCursors: cursors.length };
}
