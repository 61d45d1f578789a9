import { z } from 'zod';
import { intFromText } from './text';
import { AttachmentInputs, AttachmentView } from './attachments';
import { Id, Instant, JsonRecord, MAX_ID_LENGTH } from './common';
import { CHAT_MESSAGE_TYPES, type ChatMessageTypeName } from '../config/message-enums';
import { ChatMessagePriority, PriorityInput, UnreadByPriority } from './priority';

/**
 * Chat messages: what callers send (the guide's `sendChatMessage` input), what the REST API and
 * the Pusher auth endpoint accept, and every shape the server sends back. The browser derives its
 * types from the response schemas here (src/lib/realtime/client/types.ts), and the view functions
 * in services/chat-message.views.ts are typed against them, so the two sides cannot drift.
 */

export { MAX_ID_LENGTH };

// The list itself is in config (the environment's CHAT_RETENTION names types too).
export { CHAT_MESSAGE_TYPES, type ChatMessageTypeName };

export const MAX_CONTENT_LENGTH = 10_000;
export const MAX_DATA_BYTES = 64 * 1024;
/** Largest page of `GET /api/chat-messages` and of a mark-read call. */
export const MAX_PAGE_SIZE = 100;
/** Largest page of `GET /api/chat-messages/history`. */
export const MAX_HISTORY_PAGE = 200;
/** Largest page `getMessagesAfter` returns. */
export const MAX_MESSAGES_AFTER_LIMIT = 1_000;

const TYPE_MESSAGE = `must be one of ${CHAT_MESSAGE_TYPES.join(', ')}`;
const POSITION_MESSAGE = 'must be an integer position >= 0';

// ---- Rules -----------------------------------------------------------------------------------

export const ChatMessageType = z.enum(CHAT_MESSAGE_TYPES, { message: TYPE_MESSAGE });

/** A cursor: the per-user position of a message (0 = before the first). */
export const Position = z
  .number({ message: POSITION_MESSAGE })
  .int(POSITION_MESSAGE)
  .min(0, POSITION_MESSAGE)
  .max(Number.MAX_SAFE_INTEGER, POSITION_MESSAGE);

/** A page size from 1 to `max`. */
function pageSize(max: number) {
  const message = `must be an integer from 1 to ${max}`;
  return z.number({ message }).int(message).min(1, message).max(max, message);
}

export const PageLimit = pageSize(MAX_PAGE_SIZE);
export const HistoryLimit = pageSize(MAX_HISTORY_PAGE);
export const MessagesAfterLimit = pageSize(MAX_MESSAGES_AFTER_LIMIT);

/** Message ids to mark read (may be empty in the service API; the HTTP body asks for one at least). */
export const MessageIds = z
  .array(Id, { message: 'must be an array of message ids' })
  .max(MAX_PAGE_SIZE, `must hold at most ${MAX_PAGE_SIZE} ids`);

const encoder = new TextEncoder();
/** Nesting deeper than this is refused before it can exhaust the stack. */
const MAX_DATA_DEPTH = 64;
/** NUL (PostgreSQL refuses it in text and jsonb) or a UTF-16 surrogate without its pair. */
const UNSTORABLE_TEXT = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return (proto === Object.prototype || proto === null) && typeof (value as { toJSON?: unknown }).toJSON !== 'function';
}

/** What a non-JSON value is, for the error message. */
function describeValue(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'object' || value === null) return `a ${typeof value}`;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return 'an object with toJSON';
  const name = (Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null)?.constructor?.name;
  return name ? `a ${name}` : 'an object that is not plain';
}

/**
 * Where and why `value` is not plain JSON (null when it is): only null, booleans, finite
 * numbers, strings, arrays and plain objects, nothing that JSON.stringify would convert or drop
 * (Date, toJSON, Map, class instances, NaN, functions, undefined in an array), no cycle, and no
 * text PostgreSQL cannot store. An undefined property is left out, as JSON.stringify does.
 */
function jsonProblem(value: unknown, path: string[], seen: Set<object>): { at: string; what: string } | null {
  const at = () => path.join('.') || '(the value)';
  if (value === null || typeof value === 'boolean') return null;
  if (typeof value === 'string') return UNSTORABLE_TEXT.test(value) ? { at: at(), what: 'text with NUL or a lone surrogate' } : null;
  if (typeof value === 'number') return Number.isFinite(value) ? null : { at: at(), what: describeValue(value) };
  if (typeof value !== 'object') return { at: at(), what: describeValue(value) };
  if (seen.has(value)) return { at: at(), what: 'a cycle' };
  if (path.length >= MAX_DATA_DEPTH) return { at: at(), what: `nesting deeper than ${MAX_DATA_DEPTH}` };
  seen.add(value);
  try {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        if (value[i] === undefined) return { at: [...path, String(i)].join('.'), what: 'undefined' };
        const problem = jsonProblem(value[i], [...path, String(i)], seen);
        if (problem) return problem;
      }
      return null;
    }
    if (!isPlainObject(value)) return { at: at(), what: describeValue(value) };
    for (const [key, item] of Object.entries(value)) {
      if (UNSTORABLE_TEXT.test(key)) return { at: at(), what: 'a key with NUL or a lone surrogate' };
      if (item === undefined) continue;
      const problem = jsonProblem(item, [...path, key], seen);
      if (problem) return problem;
    }
    return null;
  } finally {
    seen.delete(value);
  }
}

/**
 * `data` must be a plain JSON object (stored and sent exactly as given) whose serialized form
 * fits in 64 KiB. A Date, an object with toJSON or a class instance would be stored as whatever
 * JSON.stringify makes of it (a string, another shape), so they are refused, naming the field.
 */
const JsonObject = z
  .custom<Record<string, unknown>>((value) => typeof value === 'object' && value !== null && !Array.isArray(value), {
    message: 'must be a JSON object',
  })
  .superRefine((value, ctx) => {
    if (!isPlainObject(value)) {
      ctx.addIssue({ code: 'custom', message: `must be a plain JSON object, not ${describeValue(value)}` });
      return;
    }
    const problem = jsonProblem(value, [], new Set());
    if (problem) {
      const message =
        problem.what === 'a cycle' || problem.what === 'a bigint'
          ? `must be serializable as JSON (at ${problem.at}: ${problem.what})`
          : `must be plain JSON (at ${problem.at}: ${problem.what})`;
      ctx.addIssue({ code: 'custom', message });
      return;
    }
    if (encoder.encode(JSON.stringify(value)).byteLength > MAX_DATA_BYTES) {
      ctx.addIssue({ code: 'custom', message: `must be at most ${MAX_DATA_BYTES} bytes as JSON` });
    }
  });

// ---- The service API -------------------------------------------------------------------------

/** A message as callers hand it to `sendChatMessage`; `type` may be lower or upper case. */
export const SendChatMessageInput = z.object({
  type: z
    .string({ message: TYPE_MESSAGE })
    .transform((t) => t.toUpperCase())
    .pipe(ChatMessageType),
  userId: z.string({ message: 'is required' }).trim().pipe(Id),
  content: z
    .string({ message: 'is required' })
    .refine((s) => s.trim().length > 0, 'must not be empty')
    .refine((s) => s.length <= MAX_CONTENT_LENGTH, `must be at most ${MAX_CONTENT_LENGTH} characters`),
  taskId: Id.nullish(),
  data: JsonObject.nullish(),
  timestamp: z.iso.datetime({ offset: true, message: 'must be an ISO-8601 date-time' }).optional(),
  idempotencyKey: Id.optional(),
  /** Files stored with the message (AttachmentInput: at most 10, 5 MB each, filenames sanitised). */
  attachments: AttachmentInputs.optional(),
  /** LOW, NORMAL (default), HIGH or URGENT, in any case. */
  priority: PriorityInput.optional(),
});
export type SendChatMessageInput = z.input<typeof SendChatMessageInput>;

export const OrgId = Id.optional();

// ---- HTTP requests ---------------------------------------------------------------------------

/** `GET /api/chat-messages?limit=` */
export const UnreadListQuery = z.object({
  limit: intFromText(PageLimit).optional().default(50),
  /** Only unread messages of this priority or above (any case). */
  minPriority: PriorityInput.optional(),
});

/** `GET /api/chat-messages/{taskId}` */
export const TaskIdParams = z.object({ taskId: Id });

/** `GET /api/chat-messages/by-id/{id}` */
export const MessageIdParams = z.object({ id: Id });

/** `POST /api/chat-messages/mark-read` (and `POST /api/chat-messages`) */
export const MarkReadBody = z.object({ messageIds: MessageIds.min(1, 'must hold at least one id') }, { message: 'must be a JSON object' });

/** `POST /api/chat-messages/mark-all-read` */
export const MarkAllReadBody = z.object({ upTo: Position }, { message: 'must be a JSON object' });

/** `GET /api/chat-messages/stream?since=` */
export const StreamQuery = z.object({ since: intFromText(Position).optional() });

/** The `Last-Event-ID` header EventSource sends on reconnect (the stream's cursor). */
export const LastEventId = intFromText(Position);

/** `GET /api/chat-messages/history?after=&limit=` */
export const HistoryQuery = z.object({
  after: intFromText(Position).optional(),
  limit: intFromText(HistoryLimit).optional().default(100),
});

/** `POST /api/pusher/auth`, as pusher-js sends it (form-encoded) or as JSON. */
const PusherSocketId = z.string({ message: 'is required' }).regex(/^\d{1,20}\.\d{1,20}$/, 'must look like 1234.5678');

export const PusherAuthBody = z.object({
  socket_id: PusherSocketId,
  channel_name: z.string({ message: 'is required' }).min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
});

/** What pusher-js's `signin()` posts (`userAuthentication`). */
export const PusherUserAuthBody = z.object({ socket_id: PusherSocketId });

// ---- What messages carry in `data` ----------------------------------------------------------

/**
 * One answer the chat offers as a button on an offer (alternatives, meetings to pick from,
 * yes/no, one or all): `label` is shown, `value` is sent back as the user's reply, and it parses
 * as the answer, so typing it works the same.
 */
export const MessageChoice = z.object({ label: z.string().min(1), value: z.string().min(1) }).meta({ id: 'MessageChoice' });
export type MessageChoice = z.infer<typeof MessageChoice>;

/** `data.choices` of an offer, in the order they are listed in the message's text. */
export const MessageChoices = z.array(MessageChoice).max(10);

/** The choices a message offers, or [] when its data holds none that parse (any sender may set `data`). */
export function choicesOf(data: Record<string, unknown>): MessageChoice[] {
  const parsed = MessageChoices.safeParse(data.choices);
  return parsed.success ? parsed.data : [];
}

// ---- HTTP responses --------------------------------------------------------------------------

const messageFields = {
  id: z.string(),
  type: ChatMessageType,
  content: z.string(),
  /** Always an object ({} when the sender gave none) so clients need no null checks. */
  data: JsonRecord,
  createdAt: Instant,
  /** The message's files (`[]` when none); `url` downloads one with the owner's session. */
  attachments: z.array(AttachmentView),
  /** An addition to the guide's shapes: LOW, NORMAL, HIGH or URGENT. */
  priority: ChatMessagePriority,
};

/** An item of `GET /api/chat-messages`. */
export const UnreadMessage = z.object({ ...messageFields, taskId: z.string().nullable() }).meta({ id: 'UnreadMessage' });
export type UnreadMessage = z.infer<typeof UnreadMessage>;

/** An item of `GET /api/chat-messages/{taskId}`. */
export const TaskMessage = z.object({ ...messageFields, read: z.boolean() }).meta({ id: 'TaskMessage' });
export type TaskMessage = z.infer<typeof TaskMessage>;

/**
 * A message as the SSE stream, the history and `GET /api/chat-messages/by-id/{id}` send it (and
 * as the browser holds it): the list item plus `read` and `position` (the client's cursor, also
 * the SSE event id).
 */
export const ChatMessage = z
  .object({ ...messageFields, taskId: z.string().nullable(), read: z.boolean(), position: z.number().int().min(1) })
  .meta({ id: 'ChatMessage' });
export type ChatMessage = z.infer<typeof ChatMessage>;

export const UnreadListResponse = z.object({
  messages: z.array(UnreadMessage),
  /** All unread messages of the user, not only this page's. */
  total: z.number().int().min(0),
  hasMore: z.boolean(),
});

export const UnreadCountResponse = z.object({
  total: z.number().int().min(0),
  /** The same unread messages counted per priority. */
  byPriority: UnreadByPriority,
});

export const TaskMessagesResponse = z.object({
  taskId: z.string(),
  messages: z.array(TaskMessage),
  count: z.number().int().min(0),
});
export type TaskMessagesResponse = z.infer<typeof TaskMessagesResponse>;

export const HistoryResponse = z.object({
  messages: z.array(ChatMessage),
  hasMore: z.boolean(),
  /** The user's newest position: the cursor to continue from once `hasMore` is false. */
  lastPosition: z.number().int().min(0),
});
export type HistoryResponse = z.infer<typeof HistoryResponse>;

export const MarkReadResponse = z.object({ success: z.literal(true), markedCount: z.number().int().min(0) });

export const PusherAuthResponse = z.object({ auth: z.string() });

/** The signed user data pusher-js sends to the Pusher server with `pusher:signin`. */
export const PusherUserAuthResponse = z.object({ auth: z.string(), user_data: z.string() });
