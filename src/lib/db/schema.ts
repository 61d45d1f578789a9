import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
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
import { createId } from '@paralleldrive/cuid2';

/**
 * The guide's Prisma model, in Drizzle. Table, enum, column and index names are the ones
 * Prisma would create (camelCase columns, `<table>_<cols>_idx`), so a database migrated by
 * the guide's Prisma schema and one migrated here have the same shape.
 */

export const CHAT_MESSAGE_TYPES = [
  'SCHEDULING_UPDATE',
  'CONFIRMATION',
  'CLARIFICATION',
  'CANCELLATION',
  'ERROR',
  'INFO',
] as const;

export type ChatMessageTypeName = (typeof CHAT_MESSAGE_TYPES)[number];

export const chatMessageType = pgEnum('ChatMessageType', CHAT_MESSAGE_TYPES);

export const chatMessages = pgTable(
  'chat_messages',
  {
    id: text('id').primaryKey().$defaultFn(() => createId()),
    userId: text('userId').notNull(),
    orgId: text('orgId'),
    taskId: text('taskId'),
    type: chatMessageType('type').notNull(),
    content: text('content').notNull(),
    data: jsonb('data').$type<Record<string, unknown>>(),
    read: boolean('read').notNull().default(false),
    // timestamptz rather than Prisma's timestamp(3): instances in different time zones
    // must agree on the instant a message was created.
    createdAt: timestamp('createdAt', { precision: 3, withTimezone: true, mode: 'date' })
      .notNull()
      .defaultNow(),
    // Additions beyond the guide.
    readAt: timestamp('readAt', { precision: 3, withTimezone: true, mode: 'date' }),
    idempotencyKey: text('idempotencyKey'),
    // Per-user position, strictly increasing in commit order (see chat_user_cursors).
    position: bigint('position', { mode: 'number' }).notNull(),
  },
  (t) => [
    index('chat_messages_userId_createdAt_idx').on(t.userId, t.createdAt),
    index('chat_messages_taskId_idx').on(t.taskId),
    index('chat_messages_read_idx').on(t.read),
    uniqueIndex('chat_messages_userId_idempotencyKey_key').on(t.userId, t.idempotencyKey),
    uniqueIndex('chat_messages_userId_position_key').on(t.userId, t.position),
    // Unread lists and counts only touch the unread rows of one user.
    index('chat_messages_userId_unread_idx')
      .on(t.userId, t.createdAt, t.id)
      .where(sql`${t.read} = false`),
  ],
);

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

/** People who sign in. `email` is stored lower-case; `passwordHash` is scrypt (see lib/auth/password.ts). */
export const users = pgTable('users', {
  id: text('id').primaryKey().$defaultFn(() => createId()),
  email: text('email').notNull().unique(),
  name: text('name'),
  passwordHash: text('passwordHash').notNull(),
  createdAt: timestamp('createdAt', { precision: 3, withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});

export type UserRow = typeof users.$inferSelect;

/** rate-limiter-flexible's PostgreSQL store, created here so no request ever waits on DDL. */
export const rateLimits = pgTable('rate_limits', {
  key: varchar('key', { length: 255 }).primaryKey(),
  points: integer('points').notNull().default(0),
  expire: bigint('expire', { mode: 'number' }),
});
