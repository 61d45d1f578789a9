// Over 300 lines: the guide's API (sendChatMessage, the typed helpers, the reads) is one module by
// contract; attachments, priorities and escalations are delegated to their own services.
import { z } from 'zod';
import { getDb } from '@/lib/db/client';
import type { ChatMessageRow, ChatMessageTypeName } from '@/lib/db/schema';
import { AppError, describeIssues, rootCauseMessage } from '@/lib/errors/app-error';
import { getLogger } from '@/lib/log/logger';
import { metrics } from '@/lib/metrics';
import { publishChatMessage, publishReadChange } from '@/lib/realtime/publish';
import * as chatMessageRepository from '@/lib/repositories/chat-message.repository';
import type { AttachmentInput } from '@/lib/schemas/attachments';
import { discardStaged, recordAttachments, stageAttachments, type StagedAttachments } from '@/lib/services/attachment.service';
import { Id } from '@/lib/schemas/common';
import { describeTextIssue, findUnstorableText } from '@/lib/schemas/text';
import { MessageIds, MessagesAfterLimit, OrgId, PageLimit, Position, SendChatMessageInput } from '@/lib/schemas/chat-messages';
import { CHAT_MESSAGE_PRIORITIES, PriorityInput, type ChatMessagePriorityName, type UnreadByPriority } from '@/lib/schemas/priority';
import { scheduleEscalation } from './escalation.service';

/**
 * The Chat Response Service (the guide's API). Messages are always stored in PostgreSQL
 * (or embedded PGlite) first; after the commit they are published in real time. Nothing
 * thrown inside `sendChatMessage` reaches its caller. This module validates and publishes; the
 * queries themselves are in the chat-message repository.
 */

export type { SendChatMessageInput } from '@/lib/schemas/chat-messages';
export { MAX_MESSAGES_AFTER_LIMIT } from '@/lib/schemas/chat-messages';
/** The agent's live activity (ephemeral, never stored): see activity.service.ts. */
export { sendActivity, type SendActivityResult } from '@/lib/services/activity.service';
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
 * Validates, stores, then publishes one chat message.
 *
 * @param message the guide's message: `{ type, taskId?, userId, content, data?, timestamp?, idempotencyKey?, attachments? }`;
 *   `type` is one of the six types, in lower or upper case; `attachments` at most 10 files
 *   `{ filename, contentType, content }` of at most 5 MB each (content a Buffer or a string).
 * @param orgId optional organisation id stored with the message.
 * @returns `{ success, pusherSent, databaseStored, messageId, error? }`; never throws.
 */
export async function sendChatMessage(message: SendChatMessageInput, orgId?: string): Promise<SendChatMessageResult> {
  // Callers are CLIs and workers, not only routes: text PostgreSQL cannot store is refused here,
  // naming the field, instead of failing inside the database.
  // Attachments are bytes, not text (their filenames are checked by their schema).
  const { attachments: _files, ...textFields } = typeof message === 'object' && message !== null ? message : { attachments: undefined };
  const textIssue = findUnstorableText(textFields) ?? findUnstorableText({ orgId });
  if (textIssue) return failure(`Invalid chat message: ${describeTextIssue(textIssue)}`);
  const parsed = SendChatMessageInput.safeParse(message);
  if (!parsed.success) return failure(`Invalid chat message: ${describeIssues(parsed.error.issues)}`);
  const org = OrgId.safeParse(orgId);
  if (!org.success) return failure(`Invalid chat message: orgId: ${org.error.issues[0]?.message}`);
  const input = parsed.data;

  // The files first, then the message: a committed message never names bytes that are not there.
  let staged: StagedAttachments | undefined;
  if (input.attachments && input.attachments.length > 0) {
    try {
      staged = await stageAttachments(input.userId, input.attachments);
    } catch (err) {
      const reason = rootCauseMessage(err);
      getLogger().error({ err: reason, userId: input.userId, taskId: input.taskId }, 'chat message attachments could not be stored');
      return failure(`Failed to store attachments: ${reason}`);
    }
  }

  let stored: Awaited<ReturnType<typeof chatMessageRepository.insertMessage>>;
  try {
    const db = await getDb();
    const values = {
      userId: input.userId,
      orgId: org.data ?? null,
      taskId: input.taskId ?? null,
      type: input.type,
      content: input.content,
      data: input.data ?? null,
      idempotencyKey: input.idempotencyKey ?? null,
      attachments: staged?.summaries ?? [],
      priority: input.priority ?? 'NORMAL',
    };
    const files = staged;
    stored = files
      ? await db.transaction(async (tx) => {
          const inserted = await chatMessageRepository.insertMessage(tx, values);
          if (!inserted.duplicate) await recordAttachments(tx, inserted.row.id, files);
          return inserted;
        })
      : await chatMessageRepository.insertMessage(db, values);
  } catch (err) {
    if (staged) await discardStaged(staged);
    const reason = rootCauseMessage(err);
    getLogger().error({ err: reason, userId: input.userId, taskId: input.taskId }, 'chat message could not be stored');
    return failure(`Failed to store chat message: ${reason}`);
  }

  const { row } = stored;
  if (stored.duplicate) {
    // The first send of this key stored its own files; these were never named by any row.
    if (staged) await discardStaged(staged);
    return { success: true, databaseStored: true, pusherSent: false, messageId: row.id, position: row.position, duplicate: true };
  }
  metrics.messageStored();
  const [{ pusherSent }] = await Promise.all([publishChatMessage(stored.row), scheduleEscalation(stored.row)]);
  return { success: true, databaseStored: true, pusherSent, messageId: row.id, position: row.position };
}

/** The helpers' optional last argument: what `sendChatMessage` takes beyond the guide's arguments. */
export interface SendOptions {
  /** Files to attach (see `sendChatMessage`). */
  attachments?: AttachmentInput[];
  /** LOW, NORMAL (default), HIGH or URGENT, in any case. */
  priority?: string;
  idempotencyKey?: string;
}

function sendTyped(type: ChatMessageTypeName) {
  return (
    taskId: string | null | undefined,
    userId: string,
    content: string,
    data?: Record<string, unknown>,
    orgId?: string,
    options: SendOptions = {},
  ): Promise<SendChatMessageResult> =>
    sendChatMessage(
      {
        type,
        taskId,
        userId,
        content,
        data,
        timestamp: new Date().toISOString(),
        ...(options.priority === undefined ? {} : { priority: options.priority }),
        ...(options.idempotencyKey === undefined ? {} : { idempotencyKey: options.idempotencyKey }),
        ...(options.attachments === undefined ? {} : { attachments: options.attachments }),
      },
      orgId,
    );
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
 * unread messages the user has in all. With `minPriority` (any case) only messages of that
 * priority or above, and `total` counts only those.
 *
 * @throws AppError `invalid_input` when `limit` is not an integer from 1 to 100 or `minPriority` not a priority.
 */
export async function getUnreadMessages(
  userId: string,
  limit: number,
  options: { minPriority?: string } = {},
): Promise<{ messages: ChatMessage[]; total: number }> {
  requireUserId(userId);
  const pageLimit = requireValid(PageLimit, limit, 'limit');
  const minPriority: ChatMessagePriorityName | undefined =
    options.minPriority === undefined ? undefined : requireValid(PriorityInput, options.minPriority, 'minPriority');
  return chatMessageRepository.selectUnreadPage(await getDb(), { userId, limit: pageLimit, minPriority });
}

/** How many unread messages the user has (a cheap count for badges), in all and per priority. */
export async function getUnreadCount(userId: string): Promise<{ total: number; byPriority: UnreadByPriority }> {
  requireUserId(userId);
  const counts = await chatMessageRepository.countUnreadByPriority(await getDb(), userId);
  const byPriority = Object.fromEntries(CHAT_MESSAGE_PRIORITIES.map((p) => [p, counts[p] ?? 0])) as UnreadByPriority;
  return { total: Object.values(byPriority).reduce((a, b) => a + b, 0), byPriority };
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
  const marked = await chatMessageRepository.markIdsRead(await getDb(), { userId, ids: [...new Set(parsedIds.data)] });
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
  const marked = await chatMessageRepository.markReadUpTo(await getDb(), { userId, upTo });
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
  return chatMessageRepository.selectPageAfter(await getDb(), { userId, afterPosition, limit });
}

/**
 * The highest position among the user's stored messages (0 when there are none): the cursor of
 * a client that wants only what comes next. Read from the `(userId, position)` index.
 */
export async function getLastPosition(userId: string): Promise<{ position: number }> {
  requireUserId(userId);
  return { position: await chatMessageRepository.selectLastPosition(await getDb(), userId) };
}

/**
 * One message by id, for clients that got a thin event (Pusher's 10 KB limit) and fetch the body.
 * Null when there is no such message or it belongs to another user: the two are
 * indistinguishable so ids of other users' messages cannot be probed.
 */
export async function getMessageById({ id, userId }: { id: string; userId: string }): Promise<ChatMessage | null> {
  requireUserId(userId);
  requireValid(Id, id, 'id');
  return chatMessageRepository.selectById(await getDb(), { id, userId });
}

/** The user's messages of one task, oldest first (at most 1,000). Another user's task yields none. */
export async function getTaskMessages(taskId: string, userId: string): Promise<{ messages: ChatMessage[] }> {
  requireUserId(userId);
  requireValid(Id, taskId, 'taskId');
  const messages = await chatMessageRepository.selectByTask(await getDb(), { taskId, userId, limit: MAX_TASK_MESSAGES });
  return { messages };
}
