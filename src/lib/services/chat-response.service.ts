import { and, asc, count, eq, inArray, sql } from 'drizzle-orm';
import { getDb, type Db } from '@/lib/db/client';
import { chatMessages, chatUserCursors, type ChatMessageRow, type ChatMessageTypeName } from '@/lib/db/schema';
import { AppError, describeIssues, rootCauseMessage } from '@/lib/errors/app-error';
import { getLogger } from '@/lib/log/logger';
import { publishChatMessage } from '@/lib/realtime/publish';
import {
  MAX_ID_LENGTH,
  MessageIds,
  OrgId,
  PageLimit,
  SendChatMessageInput,
} from './chat-message.schemas';

/**
 * The Chat Response Service (the guide's API). Messages are always stored in PostgreSQL
 * (or embedded PGlite) first; after the commit they are published in real time. Nothing
 * thrown inside `sendChatMessage` reaches its caller.
 */

export type { SendChatMessageInput } from './chat-message.schemas';
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
 * Stores a row under the user's cursor lock and returns it, or the earlier row that used the
 * same idempotency key. The cursor row stays locked until commit, so one user's positions
 * commit in increasing order.
 */
async function storeMessage(
  db: Db,
  values: Omit<typeof chatMessages.$inferInsert, 'position'>,
): Promise<{ row: Pick<ChatMessageRow, 'id' | 'position'> & Partial<ChatMessageRow>; duplicate: boolean }> {
  return db.transaction(async (tx) => {
    const [cursor] = await tx
      .insert(chatUserCursors)
      .values({ userId: values.userId, lastPosition: 1 })
      .onConflictDoUpdate({
        target: chatUserCursors.userId,
        set: { lastPosition: sql`${chatUserCursors.lastPosition} + 1` },
      })
      .returning({ position: chatUserCursors.lastPosition });
    if (values.idempotencyKey) {
      const [existing] = await tx
        .select({ id: chatMessages.id, position: chatMessages.position })
        .from(chatMessages)
        .where(and(eq(chatMessages.userId, values.userId), eq(chatMessages.idempotencyKey, values.idempotencyKey)));
      // The position just taken is left unused: positions only promise to increase, not to be dense.
      if (existing) return { row: existing, duplicate: true };
    }
    const [row] = await tx
      .insert(chatMessages)
      .values({ ...values, position: cursor!.position })
      .returning();
    return { row: row!, duplicate: false };
  });
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

function requireUserId(userId: string): string {
  if (typeof userId !== 'string' || userId.length === 0 || userId.length > MAX_ID_LENGTH) {
    throw new AppError('invalid_input', `userId: must be 1 to ${MAX_ID_LENGTH} characters`);
  }
  return userId;
}

/**
 * The user's unread messages, oldest first (ties by id), at most `limit`, and how many
 * unread messages the user has in all.
 *
 * @throws AppError `invalid_input` when `limit` is not an integer from 1 to 100.
 */
export async function getUnreadMessages(
  userId: string,
  limit: number,
): Promise<{ messages: ChatMessage[]; total: number }> {
  requireUserId(userId);
  const parsedLimit = PageLimit.safeParse(limit);
  if (!parsedLimit.success) throw new AppError('invalid_input', `limit: ${parsedLimit.error.issues[0]?.message}`);
  const db = await getDb();
  const unread = and(eq(chatMessages.userId, userId), eq(chatMessages.read, false));
  const [messages, [totals]] = await Promise.all([
    db
      .select()
      .from(chatMessages)
      .where(unread)
      .orderBy(asc(chatMessages.createdAt), asc(chatMessages.id))
      .limit(parsedLimit.data),
    db.select({ total: count() }).from(chatMessages).where(unread),
  ]);
  return { messages, total: totals?.total ?? 0 };
}

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

/**
 * Marks the user's unread messages among `ids` as read and stamps `readAt`, in one statement.
 * Ids of other users' messages and already-read messages are ignored and not counted.
 *
 * @throws AppError `invalid_input` when `ids` is not an array of at most 100 ids.
 */
export async function markMessagesAsRead(ids: string[], userId: string): Promise<{ count: number }> {
  requireUserId(userId);
  const parsedIds = MessageIds.safeParse(ids);
  if (!parsedIds.success) throw new AppError('invalid_input', `messageIds: ${describeIssues(parsedIds.error.issues)}`);
  if (parsedIds.data.length === 0) return { count: 0 };
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
  return { count: marked.length };
}

/** The user's messages of one task, oldest first (at most 1,000). Another user's task yields none. */
export async function getTaskMessages(taskId: string, userId: string): Promise<{ messages: ChatMessage[] }> {
  requireUserId(userId);
  if (typeof taskId !== 'string' || taskId.length === 0 || taskId.length > MAX_ID_LENGTH) {
    throw new AppError('invalid_input', `taskId: must be 1 to ${MAX_ID_LENGTH} characters`);
  }
  const db = await getDb();
  const messages = await db
    .select()
    .from(chatMessages)
    .where(and(eq(chatMessages.taskId, taskId), eq(chatMessages.userId, userId)))
    .orderBy(asc(chatMessages.createdAt), asc(chatMessages.id))
    .limit(MAX_TASK_MESSAGES);
  return { messages };
}
