// Over 300 lines: drizzle-kit reads the schema from this one module (drizzle.config.ts), and every
// table is owned by one repository in src/lib/repositories, which is where the tables split by domain.
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  customType,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  varchar,
} from 'drizzle-orm/pg-core';
import { newId } from './ids';
// Relative, not `@/`: drizzle-kit loads this file without the tsconfig alias.
import { EVENT_STATUSES } from '../schemas/calendar';
import type { AttachmentSummary } from '../schemas/attachments';
import { CHAT_MESSAGE_TYPES, type ChatMessageTypeName } from '../schemas/chat-messages';
import { CHAT_MESSAGE_PRIORITIES, type ChatMessagePriorityName } from '../schemas/priority';
import { TASK_STATUSES, type TaskStatus } from '../schemas/tasks';

/**
 * The guide's Prisma model, in Drizzle. Table, enum, column and index names are the ones
 * Prisma would create (camelCase columns, `<table>_<cols>_idx`), so a database migrated by
 * the guide's Prisma schema and one migrated here have the same shape.
 */

// The enum values live with the API schemas (shared with the browser); the tables take them from there.
export {
  CHAT_MESSAGE_TYPES,
  type ChatMessageTypeName,
  CHAT_MESSAGE_PRIORITIES,
  type ChatMessagePriorityName,
  TASK_STATUSES,
  type TaskStatus,
  EVENT_STATUSES,
};

export const chatMessageType = pgEnum('ChatMessageType', CHAT_MESSAGE_TYPES);
/** Declared in increasing order, so the enum compares like the levels (`priority >= 'HIGH'`). */
export const chatMessagePriority = pgEnum('ChatMessagePriority', CHAT_MESSAGE_PRIORITIES);

export const chatMessages = pgTable(
  'chat_messages',
  {
    id: text('id')
      .primaryKey()
      .$defaultFn(() => newId()),
    userId: text('userId').notNull(),
    orgId: text('orgId'),
    taskId: text('taskId'),
    type: chatMessageType('type').notNull(),
    content: text('content').notNull(),
    data: jsonb('data').$type<Record<string, unknown>>(),
    read: boolean('read').notNull().default(false),
    // timestamptz rather than Prisma's timestamp(3): instances in different time zones
    // must agree on the instant a message was created.
    createdAt: timestamp('createdAt', { precision: 3, withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    // Additions beyond the guide.
    readAt: timestamp('readAt', { precision: 3, withTimezone: true, mode: 'date' }),
    idempotencyKey: text('idempotencyKey'),
    // Per-user position, strictly increasing in commit order (see chat_user_cursors).
    position: bigint('position', { mode: 'number' }).notNull(),
    /**
     * The message's attachments as every transport sends them (`{ id, filename, contentType,
     * size }`, no bodies): kept on the row so every read path has them without a join. The files
     * and their owner checks are in chat_attachments.
     */
    attachments: jsonb('attachments').$type<AttachmentSummary[]>().notNull().default([]),
    // Existing rows become NORMAL when the column is added (a constant default: no table rewrite).
    priority: chatMessagePriority('priority').notNull().default('NORMAL'),
  },
  (t) => [
    index('chat_messages_userId_createdAt_idx').on(t.userId, t.createdAt),
    index('chat_messages_taskId_idx').on(t.taskId),
    index('chat_messages_read_idx').on(t.read),
    uniqueIndex('chat_messages_userId_idempotencyKey_key').on(t.userId, t.idempotencyKey),
    uniqueIndex('chat_messages_userId_position_key').on(t.userId, t.position),
    // Unread lists and counts only touch the unread rows of one user.
    index('chat_messages_userId_unread_idx')
      .on(t.userId, t.createdAt, t.position)
      .where(sql`${t.read} = false`),
    // The retention purge: the oldest rows of one type, deleted in small batches.
    index('chat_messages_type_createdAt_idx').on(t.type, t.createdAt),
  ],
);

/**
 * One row per escalated message (README "Priority and escalation"): the delivery id the webhook
 * receives on every attempt, and whether a receiver has acknowledged it. A message is POSTed
 * again only while `deliveredAt` is null, so a 2xx is never followed by another delivery.
 * The row goes with its message (ON DELETE CASCADE): the retention purge leaves nothing behind.
 */
export const chatEscalations = pgTable('chat_escalations', {
  messageId: text('messageId')
    .primaryKey()
    .references(() => chatMessages.id, { onDelete: 'cascade' }),
  deliveryId: text('deliveryId').notNull().unique(),
  /** PENDING until a 2xx (DELIVERED), or CANCELLED when the message was read first. */
  status: text('status').$type<'PENDING' | 'DELIVERED' | 'CANCELLED'>().notNull().default('PENDING'),
  attempts: integer('attempts').notNull().default(0),
  /** The last failure (an HTTP status or a network error), never a body. */
  lastError: text('lastError'),
  createdAt: timestamp('createdAt', { precision: 3, withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  deliveredAt: timestamp('deliveredAt', { precision: 3, withTimezone: true, mode: 'date' }),
});
export type ChatEscalationRow = typeof chatEscalations.$inferSelect;

/**
 * One row per user holding the last position handed out. Incrementing it takes the row lock
 * until the sending transaction commits, so positions of one user commit in order: a reader
 * that has seen position N can never later find a committed message below N.
 */
export const chatUserCursors = pgTable('chat_user_cursors', {
  userId: text('userId').primaryKey(),
  lastPosition: bigint('lastPosition', { mode: 'number' }).notNull(),
});

export type ChatMessageRow = typeof chatMessages.$inferSelect;

/** People who sign in. `email` is stored lower-case; `passwordHash` is argon2id, or an older scrypt until the next sign-in (see lib/auth/password.ts). */
export const users = pgTable('users', {
  id: text('id')
    .primaryKey()
    .$defaultFn(() => newId()),
  email: text('email').notNull().unique(),
  name: text('name'),
  passwordHash: text('passwordHash').notNull(),
  createdAt: timestamp('createdAt', { precision: 3, withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  /** IANA time zone; null = DEFAULT_TIMEZONE. */
  timeZone: text('timeZone'),
  /** `{ days: number[] (0=Sun), start: 'HH:MM', end: 'HH:MM' }`; null = Mon-Fri 09:00-17:00. */
  workingHours: jsonb('workingHours').$type<{ days: number[]; start: string; end: string }>(),
});

export type UserRow = typeof users.$inferSelect;

/**
 * One row per signed-in session (its id travels in the NextAuth JWT as `sid`). Deleting the row
 * ends the session on every instance (lib/auth/session-store.ts); the foreign key removes a
 * user's sessions with the user, so a live session always names an existing user.
 */
export const userSessions = pgTable(
  'user_sessions',
  {
    id: text('id').primaryKey(),
    userId: text('userId')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: timestamp('createdAt', { precision: 3, withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    /** Moved forward (at most once a day) while the session is used, as NextAuth rolls the cookie. */
    expiresAt: timestamp('expiresAt', { precision: 3, withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [index('user_sessions_userId_idx').on(t.userId)],
);
export type UserSessionRow = typeof userSessions.$inferSelect;

/** rate-limiter-flexible's PostgreSQL store, created here so no request ever waits on DDL. */
export const rateLimits = pgTable('rate_limits', {
  key: varchar('key', { length: 255 }).primaryKey(),
  points: integer('points').notNull().default(0),
  expire: bigint('expire', { mode: 'number' }),
});

export const taskStatus = pgEnum('SchedulingAgentTaskStatus', TASK_STATUSES);

/** One conversation with the agent: the user's request, its answers, and where the agent is. */
export const schedulingAgentTasks = pgTable(
  'scheduling_agent_tasks',
  {
    id: text('id')
      .primaryKey()
      .$defaultFn(() => newId()),
    userId: text('userId').notNull(),
    orgId: text('orgId'),
    request: text('request').notNull(),
    /** Where the agent answers: 'chat' (the processor's switch leaves room for email, sms...). */
    channel: text('channel').notNull().default('chat'),
    status: taskStatus('status').notNull().default('QUEUED'),
    timeZone: text('timeZone').notNull(),
    /** The user's answers to the agent's questions, in order; `turn` = how many there are. */
    answers: jsonb('answers').$type<string[]>().notNull().default([]),
    /** When each answer arrived (ISO instants, the database's clock), so the chat can show it in time order. */
    answerTimes: jsonb('answerTimes').$type<string[]>().notNull().default([]),
    /** What the agent understood so far and what it is waiting for (AgentStateSchema in src/scheduling/agent-state.ts). */
    intent: jsonb('intent').$type<Record<string, unknown>>(),
    result: jsonb('result').$type<Record<string, unknown>>(),
    error: text('error'),
    attempts: integer('attempts').notNull().default(0),
    createdAt: timestamp('createdAt', { precision: 3, withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    updatedAt: timestamp('updatedAt', { precision: 3, withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [
    index('scheduling_agent_tasks_userId_createdAt_idx').on(t.userId, t.createdAt),
    index('scheduling_agent_tasks_userId_waiting_idx')
      .on(t.userId, t.updatedAt)
      .where(sql`${t.status} = 'WAITING_FOR_USER'`),
  ],
);
export type SchedulingTaskRow = typeof schedulingAgentTasks.$inferSelect;

export const calendarEventStatus = pgEnum('CalendarEventStatus', EVENT_STATUSES);

export const calendarEvents = pgTable(
  'calendar_events',
  {
    id: text('id')
      .primaryKey()
      .$defaultFn(() => newId()),
    userId: text('userId').notNull(),
    title: text('title').notNull(),
    startsAt: timestamp('startsAt', { precision: 3, withTimezone: true, mode: 'date' }).notNull(),
    endsAt: timestamp('endsAt', { precision: 3, withTimezone: true, mode: 'date' }).notNull(),
    attendees: jsonb('attendees').$type<string[]>().notNull().default([]),
    status: calendarEventStatus('status').notNull().default('CONFIRMED'),
    /** The task that booked it; unique so a retried booking step cannot book twice. */
    taskId: text('taskId').unique(),
    /** RFC 5545 RRULE body of a recurring meeting; startsAt/endsAt are its first occurrence. */
    recurrence: text('recurrence'),
    /** The zone the rule is read in (its occurrences keep their wall-clock time across DST). */
    timeZone: text('timeZone'),
    /** ISO starts of cancelled occurrences of a series (EXDATE). */
    excludedStarts: jsonb('excludedStarts').$type<string[]>().notNull().default([]),
    /** One occurrence moved out of a series: the series, and the occurrence's start there (its EXDATE). */
    movedFromEventId: text('movedFromEventId'),
    movedFromStart: timestamp('movedFromStart', { precision: 3, withTimezone: true, mode: 'date' }),
    /** The task that last moved the whole event, and where it was before (a failed task moves it back). */
    movedByTaskId: text('movedByTaskId'),
    previousStartsAt: timestamp('previousStartsAt', { precision: 3, withTimezone: true, mode: 'date' }),
    previousEndsAt: timestamp('previousEndsAt', { precision: 3, withTimezone: true, mode: 'date' }),
    createdAt: timestamp('createdAt', { precision: 3, withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    updatedAt: timestamp('updatedAt', { precision: 3, withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [
    // "Events of a user overlapping [from, to)": startsAt < to AND endsAt > from, scanned by startsAt.
    index('calendar_events_userId_startsAt_idx').on(t.userId, t.startsAt, t.endsAt),
  ],
);
export type CalendarEventRow = typeof calendarEvents.$inferSelect;

/**
 * A user's CalDAV calendar (at most one). The password is sealed with CALENDAR_ENCRYPTION_KEY
 * (lib/crypto/secret-box.ts, bound to the user id) and never leaves the server.
 */
export const calendarConnections = pgTable('calendar_connections', {
  // No foreign key (as chat_messages): account deletion removes the row, and test suites that
  // truncate users need not know this table.
  userId: text('userId').primaryKey(),
  /** The server URL the user gave. */
  url: text('url').notNull(),
  username: text('username').notNull(),
  sealedPassword: text('sealedPassword').notNull(),
  /** The calendar collection the agent writes to (found when connecting). */
  calendarUrl: text('calendarUrl').notNull(),
  /** 'connected', 'unreachable' or 'unauthorized': what the last use found. */
  status: text('status').notNull().default('connected'),
  checkedAt: timestamp('checkedAt', { precision: 3, withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  createdAt: timestamp('createdAt', { precision: 3, withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});
export type CalendarConnectionRow = typeof calendarConnections.$inferSelect;

/** A user's private ICS feed: only the SHA-256 of its token is stored; a new token replaces the old. */
export const calendarFeeds = pgTable('calendar_feeds', {
  // No foreign key (as chat_messages): account deletion removes the row, and test suites that
  // truncate users need not know this table.
  userId: text('userId').primaryKey(),
  tokenHash: text('tokenHash').notNull().unique(),
  createdAt: timestamp('createdAt', { precision: 3, withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});

const bytea = customType<{ data: Buffer; driverData: Buffer | Uint8Array }>({
  dataType: () => 'bytea',
  // PGlite hands back a Uint8Array, node-postgres a Buffer: one type for the callers.
  fromDriver: (value) => (Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength)),
});

/**
 * One attached file of a message: who owns it, what it is, and where its bytes are (`storageKey`
 * in the store named by `store`: `db` = chat_attachment_blobs, `s3` = the bucket). The row is
 * written in the message's transaction, after the bytes were stored; deleting the message deletes
 * the row (cascade) and the orphan sweep then deletes the bytes (services/attachment.service.ts).
 */
export const chatAttachments = pgTable(
  'chat_attachments',
  {
    id: text('id').primaryKey(),
    messageId: text('messageId')
      .notNull()
      .references(() => chatMessages.id, { onDelete: 'cascade' }),
    userId: text('userId').notNull(),
    filename: text('filename').notNull(),
    contentType: text('contentType').notNull(),
    size: integer('size').notNull(),
    store: text('store').notNull(),
    storageKey: text('storageKey').notNull(),
    createdAt: timestamp('createdAt', { precision: 3, withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [index('chat_attachments_messageId_idx').on(t.messageId), uniqueIndex('chat_attachments_storageKey_key').on(t.storageKey)],
);
export type ChatAttachmentRow = typeof chatAttachments.$inferSelect;

/**
 * The embedded attachment store (the default, no S3): the bytes of each file by storage key.
 * Written before the message commits; a blob no chat_attachments row names after the grace
 * period is an orphan the sweep deletes.
 */
export const chatAttachmentBlobs = pgTable(
  'chat_attachment_blobs',
  {
    key: text('key').primaryKey(),
    content: bytea('content').notNull(),
    createdAt: timestamp('createdAt', { precision: 3, withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [index('chat_attachment_blobs_createdAt_idx').on(t.createdAt)],
);
