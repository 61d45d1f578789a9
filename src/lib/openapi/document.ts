// Over 300 lines: one table of every operation (path, method, schemas, statuses), so the document
// and the test that checks it against the route files read from one list.
import { z } from 'zod';
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject, type ZodOpenApiResponsesObject } from 'zod-openapi';
import { ERROR_STATUS } from '@/lib/errors/app-error';
import { AttachmentIdParams } from '@/lib/schemas/attachments';
import {
  CalendarConnectionInput,
  CalendarConnectionResponse,
  CalendarConnectionView,
  CalendarFeedCreated,
  CalendarFeedParams,
  CalendarFeedStatus,
  DeletedResponse,
  EventsQuery,
  EventsResponse,
} from '@/lib/schemas/calendar';
import {
  ChatMessage,
  HistoryQuery,
  HistoryResponse,
  LastEventId,
  MarkAllReadBody,
  MarkReadBody,
  MarkReadResponse,
  MessageIdParams,
  PusherAuthBody,
  PusherAuthResponse,
  PusherUserAuthBody,
  PusherUserAuthResponse,
  StreamQuery,
  TaskIdParams,
  TaskMessagesResponse,
  UnreadCountResponse,
  UnreadListQuery,
  UnreadListResponse,
} from '@/lib/schemas/chat-messages';
import { ErrorResponse } from '@/lib/schemas/common';
import { RetentionResponse } from '@/lib/schemas/retention';
import { SubmitTaskBody, SubmitTaskResponse, TaskListResponse, TaskParams, TaskView } from '@/lib/schemas/tasks';
import {
  ChangePasswordBody,
  ChangePasswordResponse,
  DeleteAccountBody,
  DeleteAccountResponse,
  NewUserInput,
  SignUpResponse,
} from '@/lib/schemas/users';
import packageJson from '../../../package.json';

/**
 * The HTTP API described once, from the same domain schemas the route handlers parse with and
 * are typed against. `API_OPERATIONS` is also what test/http/openapi.http.test.ts checks the
 * running server and the route files against, so the document cannot drift from the routes.
 * Over 300 lines because the table is one list of every operation, best read in one place.
 */

type BodyKind = 'json' | 'form';

export interface ApiOperation {
  method: 'get' | 'post' | 'put' | 'delete';
  /** OpenAPI form: `/api/chat-messages/{taskId}`. */
  path: string;
  summary: string;
  /** `session`: needs the NextAuth session cookie; `none`: public. */
  auth: 'session' | 'none';
  params?: z.ZodObject;
  query?: z.ZodObject;
  headers?: z.ZodObject;
  body?: z.ZodType;
  bodyKinds?: BodyKind[];
  /** Success status (default 200). */
  status?: number;
  /** JSON schema of the success body, `event-stream` for the SSE stream, `calendar` for an ICS feed, `download` for a file. */
  response: z.ZodType | 'event-stream' | 'calendar' | 'download';
  /** Statuses of its own beyond those every operation of its kind has (see `errorStatuses`). */
  moreErrors?: number[];
}

/** The OpenAPI document itself, as served. */
const OpenApiDocument = z.record(z.string(), z.unknown()).meta({ description: 'An OpenAPI 3.1 document' });

const STREAM_DESCRIPTION = [
  'Server-Sent Events. First `retry: 2000`; then one `chat-message` event (data: a ChatMessage, id: its',
  'position) per stored message after the cursor (the Last-Event-ID header, else `?since`); then',
  '`ready` (data: `{ position }`, the last position sent, to use as the cursor); then live',
  '`chat-message` and `read` events (data: `{ ids, positions }` or `{ upTo }`) as they happen, and',
  "`activity` events without an id (the agent's live activity, never stored or replayed: data",
  '`{ taskId, state, label, ttlMs, at }`). Every ChatMessage lists its `attachments`.',
  'Without a cursor no history is sent. Comment lines keep an idle stream open.',
].join(' ');

export const API_OPERATIONS: ApiOperation[] = [
  {
    method: 'get',
    path: '/api/chat-messages',
    summary: "The signed-in user's unread messages, oldest first",
    auth: 'session',
    query: UnreadListQuery,
    response: UnreadListResponse,
  },
  {
    method: 'post',
    path: '/api/chat-messages',
    summary: 'Mark messages read (same as POST /api/chat-messages/mark-read)',
    auth: 'session',
    body: MarkReadBody,
    response: MarkReadResponse,
  },
  {
    method: 'post',
    path: '/api/chat-messages/mark-read',
    summary: "Mark the caller's own messages read; others' ids are ignored",
    auth: 'session',
    body: MarkReadBody,
    response: MarkReadResponse,
  },
  {
    method: 'post',
    path: '/api/chat-messages/mark-all-read',
    summary: "Mark the caller's messages up to a position read",
    auth: 'session',
    body: MarkAllReadBody,
    response: MarkReadResponse,
  },
  {
    method: 'get',
    path: '/api/chat-messages/unread-count',
    summary: 'How many unread messages the caller has, in all and per priority',
    auth: 'session',
    response: UnreadCountResponse,
  },
  {
    method: 'get',
    path: '/api/chat-messages/retention',
    summary: 'How long each message type is kept (CHAT_RETENTION)',
    auth: 'session',
    response: RetentionResponse,
  },
  {
    method: 'get',
    path: '/api/chat-messages/history',
    summary: 'Messages read or not, with positions: after a cursor, or the latest page',
    auth: 'session',
    query: HistoryQuery,
    response: HistoryResponse,
  },
  {
    method: 'get',
    path: '/api/chat-messages/stream',
    summary: "The caller's messages as Server-Sent Events, replayed from a cursor, then live",
    auth: 'session',
    query: StreamQuery,
    headers: z.object({
      'last-event-id': LastEventId.optional().meta({ description: 'Wins over ?since (EventSource sends it on reconnect)' }),
    }),
    response: 'event-stream',
  },
  {
    method: 'get',
    path: '/api/chat-messages/by-id/{id}',
    summary: "One of the caller's messages (404 for anyone else's)",
    auth: 'session',
    params: MessageIdParams,
    response: ChatMessage,
  },
  {
    method: 'get',
    path: '/api/chat-messages/attachments/{id}',
    summary:
      "One of the caller's attachments as a download (Content-Disposition: attachment, nosniff); with S3 a 302 to a short-lived presigned URL. 404 for anyone else's",
    auth: 'session',
    params: AttachmentIdParams,
    response: 'download',
  },
  {
    method: 'get',
    path: '/api/chat-messages/{taskId}',
    summary: "The caller's messages of one task, oldest first",
    auth: 'session',
    params: TaskIdParams,
    response: TaskMessagesResponse,
  },
  {
    method: 'post',
    path: '/api/pusher/auth',
    summary: "Signs a Pusher subscription to the caller's own private channel (refused with 403 when PUSHER_PRIVATE_CHANNEL=false)",
    auth: 'session',
    body: PusherAuthBody,
    bodyKinds: ['form', 'json'],
    response: PusherAuthResponse,
  },
  {
    method: 'post',
    path: '/api/pusher/user-auth',
    summary: "Signs the caller's Pusher connection in as the caller (closed by the server when the session ends)",
    auth: 'session',
    body: PusherUserAuthBody,
    bodyKinds: ['form', 'json'],
    response: PusherUserAuthResponse,
  },
  {
    method: 'post',
    path: '/api/scheduling-agent/tasks',
    summary: 'A chat request for the scheduling agent (a new task, or the answer to a waiting one)',
    auth: 'session',
    body: SubmitTaskBody,
    status: 202,
    response: SubmitTaskResponse,
    moreErrors: [404],
  },
  {
    method: 'get',
    path: '/api/scheduling-agent/tasks',
    summary:
      "The caller's 50 most recent tasks, newest first, each with what the user said in it (userMessages: the request and every answer, with times)",
    auth: 'session',
    response: TaskListResponse,
  },
  {
    method: 'get',
    path: '/api/scheduling-agent/tasks/{id}',
    summary: "One of the caller's tasks (404 for anyone else's)",
    auth: 'session',
    params: TaskParams,
    response: TaskView,
  },
  {
    method: 'get',
    path: '/api/calendar/events',
    summary: "The caller's events overlapping [from, to), at most 92 days",
    auth: 'session',
    query: EventsQuery,
    response: EventsResponse,
  },
  {
    method: 'put',
    path: '/api/calendar/connection',
    summary:
      "Connect the caller's CalDAV calendar (checked by signing in: 400 naming url or password when that fails; 503 without CALENDAR_ENCRYPTION_KEY)",
    auth: 'session',
    body: CalendarConnectionInput,
    response: CalendarConnectionView,
  },
  {
    method: 'get',
    path: '/api/calendar/connection',
    summary: "The caller's calendar connection: url, username, status (never the password)",
    auth: 'session',
    response: CalendarConnectionResponse,
  },
  {
    method: 'delete',
    path: '/api/calendar/connection',
    summary: "Forget the caller's calendar connection (the built-in calendar takes over)",
    auth: 'session',
    response: DeletedResponse,
  },
  {
    method: 'get',
    path: '/api/calendar/feed/{token}',
    summary: 'The private ICS feed (`{token}.ics`; no session, the token is the secret; 404 for a revoked one)',
    auth: 'none',
    params: CalendarFeedParams,
    response: 'calendar',
  },
  {
    method: 'post',
    path: '/api/calendar/feed',
    summary: "Create or rotate the caller's ICS feed URL (shown once; the previous URL stops working)",
    auth: 'session',
    status: 201,
    response: CalendarFeedCreated,
  },
  {
    method: 'get',
    path: '/api/calendar/feed',
    summary: 'Whether the caller has an ICS feed, and since when',
    auth: 'session',
    response: CalendarFeedStatus,
  },
  {
    method: 'delete',
    path: '/api/calendar/feed',
    summary: "Revoke the caller's ICS feed",
    auth: 'session',
    response: DeletedResponse,
  },
  {
    method: 'post',
    path: '/api/users',
    summary: 'Sign up (403 when the server has sign-up disabled)',
    auth: 'none',
    body: NewUserInput,
    status: 201,
    response: SignUpResponse,
  },
  {
    method: 'post',
    path: '/api/users/me/password',
    summary: "Change the caller's password (403 for a wrong current one); ends the caller's other sessions",
    auth: 'session',
    body: ChangePasswordBody,
    response: ChangePasswordResponse,
  },
  // Last among the signed-in operations: test/http/openapi.http.test.ts runs them in this order with one user.
  {
    method: 'delete',
    path: '/api/users/me',
    summary: "Delete the caller's account and all its data, confirmed by its password (403 for a wrong one); ends its sessions",
    auth: 'session',
    body: DeleteAccountBody,
    response: DeleteAccountResponse,
    moreErrors: [404],
  },
  {
    method: 'get',
    path: '/api/openapi.json',
    summary: 'This document',
    auth: 'none',
    response: OpenApiDocument,
  },
];

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  ...Object.fromEntries(Object.entries(ERROR_STATUS).map(([code, status]) => [status, code])),
};

/** The error statuses an operation can answer with, from what the route wrapper checks. */
export function errorStatuses(op: ApiOperation): number[] {
  if (op.path === '/api/openapi.json') return [];
  const statuses = new Set<number>([429, 503]);
  if (op.params || op.query || op.body || op.headers) statuses.add(400);
  if (op.auth === 'session') statuses.add(401);
  if (op.method !== 'get') statuses.add(403);
  if (op.params) statuses.add(404);
  if (op.body) {
    statuses.add(413);
    statuses.add(415);
  }
  for (const status of op.moreErrors ?? []) statuses.add(status);
  return [...statuses].sort((a, b) => a - b);
}

type StatusKey = `${1 | 2 | 3 | 4 | 5}${string}`;

function toOperation(op: ApiOperation): ZodOpenApiOperationObject {
  const status = op.status ?? 200;
  const responses: ZodOpenApiResponsesObject = {
    [String(status) as StatusKey]:
      op.response === 'event-stream'
        ? { description: STREAM_DESCRIPTION, content: { 'text/event-stream': { schema: z.string() } } }
        : op.response === 'calendar'
          ? { description: 'An iCalendar (RFC 5545) document', content: { 'text/calendar': { schema: z.string() } } }
          : op.response === 'download'
            ? { description: 'The file', content: { 'application/octet-stream': { schema: z.string().meta({ format: 'binary' }) } } }
            : { description: STATUS_TEXT[status] ?? 'OK', content: { 'application/json': { schema: op.response } } },
  };
  for (const error of errorStatuses(op)) {
    responses[String(error) as StatusKey] = {
      description: STATUS_TEXT[error] ?? 'Error',
      content: { 'application/json': { schema: ErrorResponse } },
    };
  }
  responses.default = { description: 'internal_error', content: { 'application/json': { schema: ErrorResponse } } };
  const kinds = op.bodyKinds ?? ['json'];
  return {
    summary: op.summary,
    security: op.auth === 'session' ? [{ session: [] }] : [],
    requestParams: {
      ...(op.params ? { path: op.params } : {}),
      ...(op.query ? { query: op.query } : {}),
      ...(op.headers ? { header: op.headers } : {}),
    },
    ...(op.body
      ? {
          requestBody: {
            required: true,
            content: Object.fromEntries(
              kinds.map((kind) => [kind === 'json' ? 'application/json' : 'application/x-www-form-urlencoded', { schema: op.body! }]),
            ),
          },
        }
      : {}),
    responses,
  };
}

let cached: ReturnType<typeof createDocument> | undefined;

/** The OpenAPI 3.1 document of the API (built once per process). */
export function getOpenApiDocument(): ReturnType<typeof createDocument> {
  if (cached) return cached;
  const paths: ZodOpenApiPathsObject = {};
  for (const op of API_OPERATIONS) paths[op.path] = { ...paths[op.path], [op.method]: toOperation(op) };
  cached = createDocument(
    {
      openapi: '3.1.0',
      info: {
        title: 'Chat Response Service',
        version: packageJson.version,
        description:
          'Chat messages of the scheduling agent: REST, Server-Sent Events and Pusher delivery. Errors are always ' +
          "`{ error: { code, message } }`. State-changing requests from a browser must come from the app's own origin.",
      },
      components: {
        securitySchemes: {
          session: {
            type: 'apiKey',
            in: 'cookie',
            // `__Secure-next-auth.session-token` when the app is served over https.
            name: 'next-auth.session-token',
            description: 'The NextAuth session cookie, set by signing in through /api/auth/callback/credentials',
          },
        },
      },
      paths,
    },
    {
      // zod spells out the date-time rule as a regex as well; `format` says it.
      override: ({ jsonSchema }) => {
        if (jsonSchema.format === 'date-time') delete jsonSchema.pattern;
      },
    },
  );
  return cached;
}
