import { createId } from '@paralleldrive/cuid2';
import { and, asc, count, desc, eq, inArray, lte, sql } from 'drizzle-orm';
import { z } from 'zod';
import { getDb, type Db } from '@/lib/db/client';
import { chatMessages, chatUserCursors, type ChatMessageRow, type ChatMessageTypeName } from '@/lib/db/schema';
import { AppError, describeIssues, rootCauseMessage } from '@/lib/errors/app-error';
import { getLogger } from '@/lib/log/logger';
import { publishChatMessage, publishReadChange } from '@/lib/realtime/publish';
import { Id } from '@/lib/schemas/common';
import {
  MessageIds,
  MessagesAfterLimit,
  OrgId,
  PageLimit,
  Position,
  SendChatMessageInput,
} from '@/lib/schemas/chat-messages';
import { selectMessagesAfter } from './chat-message.queries';

/**
 * The Chat Response Service (the guide's API). Messages are always stored in PostgreSQL
 * (or embedded PGlite) first; after the commit they are published in real time. Nothing
 * thrown inside `sendChatMessage` reaches its caller.
 */

export type { SendChatMessageInput } from '@/lib/schemas/chat-messages';
export { MAX_MESSAGES_AFTER_LIMIT } from '@/lib/schemas/chat-messages';
export type ChatMessage = ChatMessageRow;

/** The outcome of a send, in the guide's shape. */
export interface SendChatMessageResult {
  success: boolean;
  pusherSent: boolean;
  databaseStored: boolean;
  messageId?: string;
  /** The message's per-user position (its SSE event id). */
  position?: number;
  /** True when the idempotency key had been used before: nothing new was stored or sent. */
  duplicate?: boolean;
  error?: string;
}

const MAX_TASK_MESSAGES = 1_000;

function failure(error: string): SendChatMessageResult {
  return { success: false, databaseStored: false, pusherSent: false, error };
}

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
function prepareStore(db: Db) {
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
      position: sql`(select ${cursor.position} from ${cursor})`,
    })
    .onConflictDoNothing({ target: [chatMessages.userId, chatMessages.idempotencyKey] })
    .returning()
    .prepare('chat_store_message');
}

const storeStatements = new WeakMap<Db, ReturnType<typeof prepareStore>>();

/**
 * Stores a row and returns it, or the earlier row that used the same idempotency key. For a
 * repeated key the position just taken is left unused: positions only promise to increase,
 * not to be dense.
 */
async function storeMessage(
  db: Db,
  values: Omit<typeof chatMessages.$inferInsert, 'position' | 'id'>,
): Promise<{ row: Pick<ChatMessageRow, 'id' | 'position'> & Partial<ChatMessageRow>; duplicate: boolean }> {
  let statement = storeStatements.get(db);
  if (!statement) {
    statement = prepareStore(db);
    storeStatements.set(db, statement);
  }
  const [row] = await statement.execute({
    id: createId(),
    userId: values.userId,
    orgId: values.orgId ?? null,
    taskId: values.taskId ?? null,
    type: values.type,
    content: values.content,
    data: values.data == null ? null : JSON.stringify(values.data),
    idempotencyKey: values.idempotencyKey ?? null,
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
 * Validates, stores, then publishes one chat message.
 *
 * @param message the guide's message: `{ type, taskId?, userId, content, data?, timestamp?, idempotencyKey? }`;
 *   `type` is one of the six types, in lower or upper case.
 * @param orgId optional organisation id stored with the message.
 * @returns `{ success, pusherSent, databaseStored, messageId, error? }`; never throws.
 */
export async function sendChatMessage(
  message: SendChatMessageInput,
  orgId?: string,
): Promise<SendChatMessageResult> {
  const parsed = SendChatMessageInput.safeParse(message);
  if (!parsed.success) return failure(`Invalid chat message: ${describeIssues(parsed.error.issues)}`);
  const org = OrgId.safeParse(orgId);
  if (!org.success) return failure(`Invalid chat message: orgId: ${org.error.issues[0]?.message}`);
  const input = parsed.data;

  let stored: Awaited<ReturnType<typeof storeMessage>>;
  try {
    const db = await getDb();
    stored = await storeMessage(db, {
      userId: input.userId,
      orgId: org.data ?? null,
      taskId: input.taskId ?? null,
      type: input.type,
      content: input.content,
      data: input.data ?? null,
      idempotencyKey: input.idempotencyKey ?? null,
    });
  } catch (err) {
    const reason = rootCauseMessage(err);
    getLogger().error({ err: reason, userId: input.userId, taskId: input.taskId }, 'chat message could not be stored');
    return failure(`Failed to store chat message: ${reason}`);
  }

  const { row, duplicate } = stored;
  if (duplicate) {
    return { success: true, databaseStored: true, pusherSent: false, messageId: row.id, position: row.position, duplicate: true };
  }
  const { pusherSent } = await publishChatMessage(row as ChatMessageRow);
  return { success: true, databaseStored: true, pusherSent, messageId: row.id, position: row.position };
}

function sendTyped(type: ChatMessageTypeName) {
  return (
    taskId: string | null | undefined,
    userId: string,
    content: string,
    data?: Record<string, unknown>,
    orgId?: string,
  ): Promise<SendChatMessageResult> =>
    sendChatMessage({ type, taskId, userId, content, data, timestamp: new Date().toISOString() }, orgId);
}

/** Sends a SCHEDULING_UPDATE ("Processing your request..."). Arguments as the guide: (taskId, userId, content, data?, orgId?). */
export const sendSchedulingUpdate = sendTyped('SCHEDULING_UPDATE');
/** Sends a CONFIRMATION ("Meeting scheduled"). Arguments as the guide: (taskId, userId, content, data?, orgId?). */
export const sendConfirmation = sendTyped('CONFIRMATION');
/** Sends a CLARIFICATION (a question to the user). Arguments as the guide: (taskId, userId, content, data?, orgId?). */
export const sendClarification = sendTyped('CLARIFICATION');
/** Sends a CANCELLATION ("Meeting cancelled"). Arguments as the guide: (taskId, userId, content, data?, orgId?). */
export const sendCancellation = sendTyped('CANCELLATION');
/** Sends an ERROR ("Failed to schedule meeting"). Arguments as the guide: (taskId, userId, content, data?, orgId?). */
export const sendError = sendTyped('ERROR');
/** Sends an INFO (e.g. alternative slots). Arguments as the guide: (taskId, userId, content, data?, orgId?). */
export const sendInfo = sendTyped('INFO');

/** `value` checked by the domain rule `schema`; `invalid_input` naming the argument otherwise. */
function requireValid<T>(schema: z.ZodType<T>, value: unknown, name: string): T {
  const parsed = schema.safeParse(value);
  // The first issue is enough: "-1.5" breaks both "integer" and ">= 0", which say the same.
  if (!parsed.success) throw new AppError('invalid_input', `${name}: ${describeIssues(parsed.error.issues.slice(0, 1))}`);
  return parsed.data;
}

function requireUserId(userId: string): string {
  return requireValid(Id, userId, 'userId');
}

/**
 * The user's unread messages, oldest first (ties in send order), at most `limit`, and how many
 * unread messages the user has in all.
 *
 * @throws AppError `invalid_input` when `limit` is not an integer from 1 to 100.
 */
export async function getUnreadMessages(
  userId: string,
  limit: number,
): Promise<{ messages: ChatMessage[]; total: number }> {
  requireUserId(userId);
  const pageLimit = requireValid(PageLimit, limit, 'limit');
  const db = await getDb();
  let statement = unreadPageStatements.get(db);
  if (!statement) {
    statement = prepareUnreadPage(db);
    unreadPageStatements.set(db, statement);
  }
  const rows = await statement.execute({ userId, limit: pageLimit });
  return { messages: rows.map((r) => r.message), total: rows[0]?.total ?? 0 };
}

/**
 * The unread page and the unread count in one prepared statement (polling runs it for every
 * user every few seconds; bench/RESULTS.md, read path): one round trip instead of two, the SQL
 * built once, and page and count from one snapshot. The count is an uncorrelated subquery,
 * computed once. `read = false` is a literal so that the partial unread index also serves the
 * generic plan PostgreSQL may settle on for a prepared statement.
 */
function prepareUnreadPage(db: Db) {
  const unread = and(eq(chatMessages.userId, sql.placeholder('userId')), sql`${chatMessages.read} = false`);
  return db
    .select({ message: chatMessages, total: db.$count(chatMessages, unread) })
    .from(chatMessages)
    .where(unread)
    // Ties of createdAt (sends in one millisecond) go by position, the user's send order: the
    // guide breaks them by id, which with random ids would shuffle them.
    .orderBy(asc(chatMessages.createdAt), asc(chatMessages.position))
    .limit(sql.placeholder('limit'))
    .prepare('chat_unread_page');
}

const unreadPageStatements = new WeakMap<Db, ReturnType<typeof prepareUnreadPage>>();

/** How many unread messages the user has (a cheap count for badges). */
export async function getUnreadCount(userId: string): Promise<{ total: number }> {
  requireUserId(userId);
  const db = await getDb();
  const [row] = await db
    .select({ total: count() })
    .from(chatMessages)
    .where(and(eq(chatMessages.userId, userId), eq(chatMessages.read, false)));
  return { total: row?.total ?? 0 };
}

/** Which messages a mark-read call changed: only those that were the user's and unread. */
export interface ReadResult {
  count: number;
  ids: string[];
  positions: number[];
}

/**
 * Marks the user's unread messages among `ids` as read and stamps `readAt`, in one statement,
 * and tells the user's open streams which ones changed (an SSE `read` event), so other tabs
 * clear their badges. Ids of other users' messages and already-read messages are ignored and
 * not reported.
 *
 * @returns `{ count, ids, positions }` of the messages this call changed, in position order.
 * @throws AppError `invalid_input` when `ids` is not an array of at most 100 ids.
 */
export async function markMessagesAsReadWithChanges(ids: string[], userId: string): Promise<ReadResult> {
  requireUserId(userId);
  const parsedIds = MessageIds.safeParse(ids);
  if (!parsedIds.success) throw new AppError('invalid_input', `messageIds: ${describeIssues(parsedIds.error.issues)}`);
  if (parsedIds.data.length === 0) return { count: 0, ids: [], positions: [] };
  const db = await getDb();
  const marked = await db
    .update(chatMessages)
    .set({ read: true, readAt: sql`now()` })
    .where(
      and(
        eq(chatMessages.userId, userId),
        eq(chatMessages.read, false),
        inArray(chatMessages.id, [...new Set(parsedIds.data)]),
      ),
    )
    .returning({ id: chatMessages.id, position: chatMessages.position });
  const result = toReadResult(marked);
  if (result.count > 0) await publishReadChange(userId, { ids: result.ids, positions: result.positions });
  return result;
}

/**
 * The guide's mark-read: as `markMessagesAsReadWithChanges`, answering only `{ count }` (the
 * guide's exact shape, which existing callers compare whole).
 *
 * @throws AppError `invalid_input` when `ids` is not an array of at most 100 ids.
 */
export async function markMessagesAsRead(ids: string[], userId: string): Promise<{ count: number }> {
  const { count } = await markMessagesAsReadWithChanges(ids, userId);
  return { count };
}

function toReadResult(marked: Array<{ id: string; position: number }>): ReadResult {
  marked.sort((a, b) => a.position - b.position);
  return { count: marked.length, ids: marked.map((m) => m.id), positions: marked.map((m) => m.position) };
}

/**
 * Marks every unread message of the user at or before position `upTo` as read, in one
 * statement, and tells the user's open streams (`read` event `{ upTo }`). Bounded by position,
 * not by time or by "everything", so a message that arrives while the request is under way
 * (a later position) stays unread even though the client never saw it.
 *
 * @returns `{ count, ids, positions }` of the messages this call changed, in position order.
 * @throws AppError `invalid_input` when `upTo` is not an integer >= 0.
 */
export async function markAllAsRead(userId: string, upTo: number): Promise<ReadResult> {
  requireUserId(userId);
  requireValid(Position, upTo, 'upTo');
  const db = await getDb();
  const marked = await db
    .update(chatMessages)
    .set({ read: true, readAt: sql`now()` })
    .where(and(eq(chatMessages.userId, userId), eq(chatMessages.read, false), lte(chatMessages.position, upTo)))
    .returning({ id: chatMessages.id, position: chatMessages.position });
  const result = toReadResult(marked);
  if (result.count > 0) await publishReadChange(userId, { upTo });
  return result;
}

/**
 * The user's messages after a cursor, in position order: what a client that has seen every
 * message up to `afterPosition` is missing. Uses the unique `(userId, position)` index. Because
 * positions commit in increasing order, paging with the last returned position as the next
 * cursor never skips a message, however sends and reads interleave.
 *
 * @param afterPosition the last position the caller has (0 for "from the start").
 * @param limit 1 to 1,000.
 * @returns `{ messages, hasMore }`; `hasMore` means another page follows the last message.
 * @throws AppError `invalid_input` for a bad position or limit.
 */
export async function getMessagesAfter(
  userId: string,
  afterPosition: number,
  limit: number,
): Promise<{ messages: ChatMessage[]; hasMore: boolean }> {
  requireUserId(userId);
  requireValid(Position, afterPosition, 'afterPosition');
  requireValid(MessagesAfterLimit, limit, 'limit');
  const db = await getDb();
  // One row more than asked tells whether another page exists without a count.
  const rows = await selectMessagesAfter(db, userId, afterPosition, limit + 1);
  const hasMore = rows.length > limit;
  return { messages: hasMore ? rows.slice(0, limit) : rows, hasMore };
}

/**
 * The highest position among the user's stored messages (0 when there are none): the cursor of
 * a client that wants only what comes next. Read from the `(userId, position)` index.
 */
export async function getLastPosition(userId: string): Promise<{ position: number }> {
  requireUserId(userId);
  const db = await getDb();
  const [row] = await db
    .select({ position: chatMessages.position })
    .from(chatMessages)
    .where(eq(chatMessages.userId, userId))
    .orderBy(desc(chatMessages.position))
    .limit(1);
  return { position: row?.position ?? 0 };
}

/**
 * One message by id, for clients that got a thin event (Pusher's 10 KB limit) and fetch the body.
 * Null when there is no such message or it belongs to another user: the two are
 * indistinguishable so ids of other users' messages cannot be probed.
 */
export async function getMessageById(id: string, userId: string): Promise<ChatMessage | null> {
  requireUserId(userId);
  requireValid(Id, id, 'id');
  const db = await getDb();
  const [row] = await db
    .select()
    .from(chatMessages)
    .where(and(eq(chatMessages.id, id), eq(chatMessages.userId, userId)))
    .limit(1);
  return row ?? null;
}

/** The user's messages of one task, oldest first (at most 1,000). Another user's task yields none. */
export async function getTaskMessages(taskId: string, userId: string): Promise<{ messages: ChatMessage[] }> {
  requireUserId(userId);
  requireValid(Id, taskId, 'taskId');
  const db = await getDb();
  const messages = await db
    .select()
    .from(chatMessages)
    .where(and(eq(chatMessages.taskId, taskId), eq(chatMessages.userId, userId)))
    .orderBy(asc(chatMessages.createdAt), asc(chatMessages.position))
    .limit(MAX_TASK_MESSAGES);
  return { messages };
}
