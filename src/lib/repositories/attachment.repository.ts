import { and, eq, inArray, lt, notExists, sql } from 'drizzle-orm';
import type { Db } from '@/lib/db/client';
import { chatAttachmentBlobs, chatAttachments, type ChatAttachmentRow } from '@/lib/db/schema';

/**
 * The one module that reads and writes `chat_attachments` (who owns which file, where its bytes
 * are) and `chat_attachment_blobs` (the embedded store's bytes). Callers validate; these trust.
 */

export type NewAttachment = Omit<typeof chatAttachments.$inferInsert, 'createdAt'>;

/** Records the attachments of a message (run in the message's transaction). */
export async function insertAttachments(db: Db, rows: NewAttachment[]): Promise<void> {
  if (rows.length > 0) await db.insert(chatAttachments).values(rows);
}

/** One attachment by id, only if it is the user's. */
export async function selectOwned(db: Db, query: { id: string; userId: string }): Promise<ChatAttachmentRow | null> {
  const [row] = await db
    .select()
    .from(chatAttachments)
    .where(and(eq(chatAttachments.id, query.id), eq(chatAttachments.userId, query.userId)))
    .limit(1);
  return row ?? null;
}

/** Deletes the attachment rows of these messages; returns where their bytes are (for the store to delete). */
export async function deleteForMessages(db: Db, messageIds: string[]): Promise<Array<{ store: string; storageKey: string }>> {
  if (messageIds.length === 0) return [];
  return db
    .delete(chatAttachments)
    .where(inArray(chatAttachments.messageId, messageIds))
    .returning({ store: chatAttachments.store, storageKey: chatAttachments.storageKey });
}

/** Deletes every attachment row of the user (account deletion); returns where their bytes are. */
export async function deleteForUser(db: Db, userId: string): Promise<Array<{ store: string; storageKey: string }>> {
  return db
    .delete(chatAttachments)
    .where(eq(chatAttachments.userId, userId))
    .returning({ store: chatAttachments.store, storageKey: chatAttachments.storageKey });
}

/** Of these storage keys, the ones some attachment row names (the others are orphans). */
export async function selectReferencedKeys(db: Db, keys: string[]): Promise<Set<string>> {
  if (keys.length === 0) return new Set();
  const rows = await db.select({ key: chatAttachments.storageKey }).from(chatAttachments).where(inArray(chatAttachments.storageKey, keys));
  return new Set(rows.map((r) => r.key));
}

// ---- The embedded store's bytes --------------------------------------------------------------

export async function putBlob(db: Db, key: string, content: Buffer): Promise<void> {
  await db.insert(chatAttachmentBlobs).values({ key, content });
}

export async function getBlob(db: Db, key: string): Promise<Buffer | null> {
  const [row] = await db.select({ content: chatAttachmentBlobs.content }).from(chatAttachmentBlobs).where(eq(chatAttachmentBlobs.key, key));
  return row?.content ?? null;
}

export async function deleteBlobs(db: Db, keys: string[]): Promise<number> {
  if (keys.length === 0) return 0;
  const rows = await db
    .delete(chatAttachmentBlobs)
    .where(inArray(chatAttachmentBlobs.key, keys))
    .returning({ key: chatAttachmentBlobs.key });
  return rows.length;
}

/**
 * Deletes up to `limit` blobs written before `before` that no attachment row names (files whose
 * message never committed, or whose message was deleted); returns how many. Bounded, index-backed
 * (createdAt, and the unique storageKey index for the anti-join).
 */
export async function deleteOrphanBlobs(db: Db, before: Date, limit: number): Promise<number> {
  const victims = db
    .select({ key: chatAttachmentBlobs.key })
    .from(chatAttachmentBlobs)
    .where(
      and(
        lt(chatAttachmentBlobs.createdAt, before),
        notExists(
          db
            .select({ one: sql`1` })
            .from(chatAttachments)
            .where(eq(chatAttachments.storageKey, chatAttachmentBlobs.key)),
        ),
      ),
    )
    .limit(limit);
  const rows = await db
    .delete(chatAttachmentBlobs)
    .where(inArray(chatAttachmentBlobs.key, victims))
    .returning({ key: chatAttachmentBlobs.key });
  return rows.length;
}
