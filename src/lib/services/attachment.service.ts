import { newId } from '@/lib/db/ids';
import { getDb, type Db } from '@/lib/db/client';
import { rootCauseMessage } from '@/lib/errors/app-error';
import { getLogger } from '@/lib/log/logger';
import * as attachmentRepository from '@/lib/repositories/attachment.repository';
import type { AttachmentSummary } from '@/lib/schemas/attachments';
import { getAttachmentStore, storeNamed } from '@/lib/storage/attachment-store';

/**
 * Attachments: the files a message carries. Order of writes (so a crash leaves no message that
 * points at nothing): the bytes are stored first, then the message and its attachment rows
 * commit in one transaction. A send that fails after the bytes were stored deletes them again
 * (compensating delete); a process that dies in between leaves bytes no row names, which the
 * orphan sweep (`sweepOrphanAttachments`, run by the worker) deletes after ORPHAN_GRACE_MS.
 * Deleting a message deletes its rows (ON DELETE CASCADE); its bytes are then orphans as well,
 * or are deleted at once through `deleteAttachmentsForMessages`.
 */

/** Bytes no row names are only deleted once older than this (a send may still be committing). */
export const ORPHAN_GRACE_MS = 60 * 60 * 1000;

/** A validated file about to be attached (see AttachmentInput). */
export interface ValidAttachment {
  filename: string;
  contentType: string;
  content: Buffer;
}

/** Files whose bytes are stored and whose rows are not written yet. */
export interface StagedAttachments {
  summaries: AttachmentSummary[];
  store: 'db' | 's3';
  rows: Array<Omit<attachmentRepository.NewAttachment, 'messageId'>>;
}

/** Stores the bytes of each file (in parallel); on any failure deletes what was stored and throws. */
export async function stageAttachments(userId: string, files: ValidAttachment[]): Promise<StagedAttachments> {
  const store = getAttachmentStore();
  const rows = files.map((f) => {
    const id = newId();
    return {
      id,
      userId,
      filename: f.filename,
      contentType: f.contentType,
      size: f.content.byteLength,
      store: store.kind,
      storageKey: `${id}`,
    };
  });
  const results = await Promise.allSettled(files.map((f, i) => store.put(rows[i]!.storageKey, f.content, f.contentType)));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await discardKeys(
      store.kind,
      rows.map((r) => r.storageKey),
    );
    throw failed.reason;
  }
  return {
    store: store.kind,
    rows,
    summaries: rows.map((r) => ({ id: r.id, filename: r.filename, contentType: r.contentType, size: r.size })),
  };
}

/** Writes the rows of staged files for a message (inside the message's transaction). */
export async function recordAttachments(db: Db, messageId: string, staged: StagedAttachments): Promise<void> {
  await attachmentRepository.insertAttachments(
    db,
    staged.rows.map((r) => ({ ...r, messageId })),
  );
}

/** The compensating delete: the message never committed (or was a duplicate), so its bytes go. Never throws. */
export async function discardStaged(staged: StagedAttachments): Promise<void> {
  await discardKeys(
    staged.store,
    staged.rows.map((r) => r.storageKey),
  );
}

async function discardKeys(kind: string, keys: string[]): Promise<void> {
  try {
    await storeNamed(kind).delete(keys);
  } catch (err) {
    // The sweep deletes them later: nothing names them.
    getLogger().warn({ err: rootCauseMessage(err), count: keys.length }, 'could not delete attachment bytes of an unsent message');
  }
}

/** What the download route answers: the bytes, or a presigned URL to redirect to. */
export type AttachmentDownload = { kind: 'body'; filename: string; contentType: string; body: Buffer } | { kind: 'redirect'; url: string };

/** The user's attachment `id`, or null when there is none or it is another user's (indistinguishable). */
export async function getAttachmentDownload({ id, userId }: { id: string; userId: string }): Promise<AttachmentDownload | null> {
  const row = await attachmentRepository.selectOwned(await getDb(), { id, userId });
  if (!row) return null;
  const store = storeNamed(row.store);
  if (store.presignDownload) {
    return { kind: 'redirect', url: await store.presignDownload(row.storageKey, { filename: row.filename, contentType: row.contentType }) };
  }
  const body = await store.get(row.storageKey);
  if (!body) return null;
  return { kind: 'body', filename: row.filename, contentType: row.contentType, body };
}

/**
 * Deletes the attachments of these messages, rows and bytes, in whichever store (for retention
 * and account deletion, before or after deleting the messages: the rows also go with their
 * message by cascade, and the sweep then deletes the bytes). Returns how many files.
 */
export async function deleteAttachmentsForMessages(messageIds: string[], db?: Db): Promise<number> {
  const deleted = await attachmentRepository.deleteForMessages(db ?? (await getDb()), messageIds);
  await deleteStoredFiles(deleted);
  return deleted.length;
}

/**
 * The retention purge, inside its transaction: deletes these messages' attachment rows and returns
 * the files, whose bytes `deleteStoredFiles` deletes once the transaction committed.
 */
export function deleteAttachmentRowsOfMessages(tx: Db, messageIds: string[]): Promise<StoredFile[]> {
  return attachmentRepository.deleteForMessages(tx, messageIds);
}

/**
 * Account deletion, inside its transaction: deletes the user's attachment rows and returns the
 * files, whose bytes `deleteStoredFiles` deletes once the transaction committed.
 */
export function deleteAttachmentRowsOfUser(tx: Db, userId: string): Promise<StoredFile[]> {
  return attachmentRepository.deleteForUser(tx, userId);
}

/** Where a file's bytes are. */
export interface StoredFile {
  store: string;
  storageKey: string;
}

/** Deletes the bytes of these files in their stores. Never throws (the sweep deletes what is left). */
export async function deleteStoredFiles(files: StoredFile[]): Promise<void> {
  const byStore = new Map<string, string[]>();
  for (const f of files) byStore.set(f.store, [...(byStore.get(f.store) ?? []), f.storageKey]);
  for (const [kind, keys] of byStore) await discardKeys(kind, keys);
}

/**
 * Deletes bytes older than `olderThanMs` that no attachment row names (sends that never committed,
 * deleted messages), at most `limit` per store; returns how many.
 */
export async function sweepOrphanAttachments(options: { olderThanMs?: number; limit?: number } = {}): Promise<{ deleted: number }> {
  const before = new Date(Date.now() - (options.olderThanMs ?? ORPHAN_GRACE_MS));
  const limit = options.limit ?? 1000;
  const db = await getDb();
  const isReferenced = (keys: string[]) => attachmentRepository.selectReferencedKeys(db, keys);
  let deleted = await storeNamed('db').deleteOrphans(before, limit, isReferenced);
  const current = getAttachmentStore();
  if (current.kind === 's3') deleted += await current.deleteOrphans(before, limit, isReferenced);
  return { deleted };
}
