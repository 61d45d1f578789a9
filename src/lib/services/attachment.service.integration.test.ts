import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { resetEnvCache } from '@/lib/config/env';
import type { Database } from '@/lib/db/client';
import { chatAttachmentBlobs, chatAttachments, chatMessages, users } from '@/lib/db/schema';
import { deleteAccount } from '@/lib/services/account-deletion.service';
import * as attachmentService from '@/lib/services/attachment.service';
import * as chatResponseService from '@/lib/services/chat-response.service';
import { resetAttachmentStores } from '@/lib/storage/attachment-store';
import { DATABASE_KINDS, useFreshDatabase } from '@test/helpers/test-db';
import { startS3Server, type S3Server } from '@test/helpers/s3-server';

const USER = 'user_att';
const ICS = 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n';

function message(overrides: Partial<chatResponseService.SendChatMessageInput> = {}): chatResponseService.SendChatMessageInput {
  return { type: 'confirmation', taskId: 'task_1', userId: USER, content: 'Booked', ...overrides };
}

/** The stores the suite runs on: the database always, S3 (a real s3rver on loopback) as well. */
const STORES = ['db', 's3'] as const;

describe.each(DATABASE_KINDS.flatMap((kind) => STORES.map((store) => [kind, store] as const)))(
  'attachments on %s, files in %s',
  (kind, store) => {
    let database: Database;
    let teardown: () => Promise<void>;
    let s3: S3Server | undefined;
    const saved: Record<string, string | undefined> = {};

    beforeAll(async () => {
      ({ database, teardown } = await useFreshDatabase(kind));
      if (store === 's3') {
        s3 = await startS3Server();
        for (const [k, v] of Object.entries(s3.env)) {
          saved[k] = process.env[k];
          process.env[k] = v;
        }
      }
      resetEnvCache();
      resetAttachmentStores();
    });
    afterAll(async () => {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      resetEnvCache();
      resetAttachmentStores();
      await s3?.stop();
      await teardown();
    });
    beforeEach(async () => {
      await database.db.execute(sql`TRUNCATE chat_messages, chat_user_cursors, chat_attachments, chat_attachment_blobs, users CASCADE`);
      // The bucket outlives the tables: with no row left, every object in it is an orphan.
      await attachmentService.sweepOrphanAttachments({ olderThanMs: -60_000 });
    });

    /** The bytes of an attachment as its owner downloads them (following S3's presigned redirect). */
    async function download(id: string, userId = USER): Promise<{ body: Buffer; url?: string } | null> {
      const found = await attachmentService.getAttachmentDownload({ id, userId });
      if (!found) return null;
      if (found.kind === 'body') return { body: found.body };
      const response = await fetch(found.url);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-disposition')).toMatch(/^attachment;/);
      return { body: Buffer.from(await response.arrayBuffer()), url: found.url };
    }

    it('stores the files, lists them on the message and gives them back byte for byte to the owner only', async () => {
      const binary = Buffer.from([0, 1, 2, 255, 254, 0]);
      const sent = await chatResponseService.sendChatMessage(
        message({
          attachments: [
            { filename: 'invite.ics', contentType: 'text/calendar; method=REQUEST', content: ICS },
            { filename: 'raw.bin', contentType: 'application/octet-stream', content: binary },
          ],
        }),
      );
      expect(sent.success).toBe(true);
      const stored = await chatResponseService.getMessageById({ id: sent.messageId!, userId: USER });
      expect(stored!.attachments).toEqual([
        { id: expect.any(String), filename: 'invite.ics', contentType: 'text/calendar; method=request', size: Buffer.byteLength(ICS) },
        { id: expect.any(String), filename: 'raw.bin', contentType: 'application/octet-stream', size: 6 },
      ]);
      const [ics, raw] = stored!.attachments;
      expect((await download(ics!.id))!.body.toString('utf8')).toBe(ICS);
      expect((await download(raw!.id))!.body.equals(binary)).toBe(true);
      if (store === 's3') expect((await download(raw!.id))!.url).toMatch(/X-Amz-Expires=60/);
      // Another user gets nothing, exactly as for an id that does not exist.
      expect(await attachmentService.getAttachmentDownload({ id: ics!.id, userId: 'someone_else' })).toBeNull();
      expect(await attachmentService.getAttachmentDownload({ id: 'no_such_attachment', userId: USER })).toBeNull();
      const rows = await database.db.select().from(chatAttachments);
      expect(rows.map((r) => r.store)).toEqual([store, store]);
    });

    it('sanitises filenames: no directories, no control characters, never empty', async () => {
      const sent = await chatResponseService.sendChatMessage(
        message({
          attachments: [
            { filename: '../../etc/passwd', contentType: 'text/plain', content: 'x' },
            { filename: 'a\r\nb"c.txt', contentType: 'text/plain', content: 'x' },
            { filename: '...', contentType: 'text/plain', content: 'x' },
          ],
        }),
      );
      expect(sent.success).toBe(true);
      const stored = await chatResponseService.getMessageById({ id: sent.messageId!, userId: USER });
      expect(stored!.attachments.map((a) => a.filename)).toEqual(['passwd', 'a__b_c.txt', 'attachment']);
    });

    it.each([
      [
        'more than 10 files',
        () => Array.from({ length: 11 }, (_, i) => ({ filename: `f${i}.txt`, content: 'x' })),
        /attachments: must hold at most 10 files/,
      ],
      [
        'a file over 5 MB',
        () => [{ filename: 'big.bin', content: Buffer.alloc(5 * 1024 * 1024 + 1) }],
        /attachments\.0\.content: must be at most 5242880 bytes/,
      ],
      ['a blank filename', () => [{ filename: '  ', content: 'x' }], /attachments\.0\.filename: must not be empty/],
      [
        'a content that is neither bytes nor text',
        () => [{ filename: 'a.txt', content: 42 as unknown as string }],
        /attachments\.0\.content: must be a Buffer or a string/,
      ],
      [
        'a content type that is not a MIME type',
        () => [{ filename: 'a.txt', contentType: 'text/html\r\nX-Evil: 1', content: 'x' }],
        /attachments\.0\.contentType/,
      ],
    ])('refuses %s, naming the field, and stores nothing', async (_name, files, error) => {
      const sent = await chatResponseService.sendChatMessage(message({ attachments: files() }));
      expect(sent).toMatchObject({ success: false, databaseStored: false });
      expect(sent.error).toMatch(error);
      expect(await database.db.select().from(chatMessages)).toHaveLength(0);
      expect(await database.db.select().from(chatAttachments)).toHaveLength(0);
      expect(await database.db.select().from(chatAttachmentBlobs)).toHaveLength(0);
    });

    it('deletes the stored files again when the message does not commit (compensating delete)', async () => {
      // The message's insert fails after the files were stored (a constraint only the database checks).
      await database.db.execute(sql`ALTER TABLE chat_messages ADD CONSTRAINT attach_test_refuse CHECK ("content" <> 'refuse me')`);
      try {
        const sent = await chatResponseService.sendChatMessage(
          message({ content: 'refuse me', attachments: [{ filename: 'a.txt', contentType: 'text/plain', content: 'orphan' }] }),
        );
        expect(sent.success).toBe(false);
      } finally {
        await database.db.execute(sql`ALTER TABLE chat_messages DROP CONSTRAINT attach_test_refuse`);
      }
      expect(await database.db.select().from(chatAttachments)).toHaveLength(0);
      expect(await database.db.select().from(chatAttachmentBlobs)).toHaveLength(0);
      // Nothing left in the bucket either: the sweep, with no grace, finds no orphan.
      expect(await attachmentService.sweepOrphanAttachments({ olderThanMs: -60_000 })).toEqual({ deleted: 0 });
    });

    it('a repeated idempotency key keeps the first files and drops the repeat’s', async () => {
      const first = await chatResponseService.sendChatMessage(
        message({ idempotencyKey: 'k1', attachments: [{ filename: 'a.txt', contentType: 'text/plain', content: 'first' }] }),
      );
      const again = await chatResponseService.sendChatMessage(
        message({ idempotencyKey: 'k1', attachments: [{ filename: 'a.txt', contentType: 'text/plain', content: 'second' }] }),
      );
      expect(again).toMatchObject({ success: true, duplicate: true, messageId: first.messageId });
      expect(await database.db.select().from(chatAttachments)).toHaveLength(1);
      expect(await attachmentService.sweepOrphanAttachments({ olderThanMs: -60_000 })).toEqual({ deleted: 0 });
      const stored = await chatResponseService.getMessageById({ id: first.messageId!, userId: USER });
      expect((await download(stored!.attachments[0]!.id))!.body.toString()).toBe('first');
    });

    it('the sweep deletes files of messages that are gone (deleted, or never committed by a crashed sender), after the grace period only', async () => {
      const sent = await chatResponseService.sendChatMessage(message({ attachments: [{ filename: 'a.txt', content: 'x' }] }));
      const kept = await chatResponseService.sendChatMessage(message({ attachments: [{ filename: 'b.txt', content: 'y' }] }));
      // A sender that died between storing the bytes and committing the message.
      await attachmentService.stageAttachments(USER, [{ filename: 'c.txt', contentType: 'text/plain', content: Buffer.from('z') }]);
      const attachmentId = (await chatResponseService.getMessageById({ id: sent.messageId!, userId: USER }))!.attachments[0]!.id;
      await database.db.execute(sql`DELETE FROM chat_messages WHERE id = ${sent.messageId!}`);
      // The cascade removed the row, so the file is no longer served...
      expect(await attachmentService.getAttachmentDownload({ id: attachmentId, userId: USER })).toBeNull();
      // ...and within the grace period the sweep leaves the bytes (a send may still be committing).
      expect(await attachmentService.sweepOrphanAttachments()).toEqual({ deleted: 0 });
      expect(await attachmentService.sweepOrphanAttachments({ olderThanMs: -60_000 })).toEqual({ deleted: 2 });
      const keptId = (await chatResponseService.getMessageById({ id: kept.messageId!, userId: USER }))!.attachments[0]!.id;
      expect((await download(keptId))!.body.toString()).toBe('y');
    });

    it('deleteAttachmentsForMessages removes rows and bytes at once', async () => {
      const sent = await chatResponseService.sendChatMessage(
        message({
          attachments: [
            { filename: 'a.txt', content: 'x' },
            { filename: 'b.txt', content: 'y' },
          ],
        }),
      );
      expect(await attachmentService.deleteAttachmentsForMessages([sent.messageId!])).toBe(2);
      expect(await database.db.select().from(chatAttachments)).toHaveLength(0);
      expect(await attachmentService.sweepOrphanAttachments({ olderThanMs: -60_000 })).toEqual({ deleted: 0 });
    });

    it('deleting the account deletes its files at once, rows and bytes, and leaves other users’ files', async () => {
      const [user] = await database.db
        .insert(users)
        .values({ email: `gone-${kind}-${store}@example.com`, passwordHash: 'x' })
        .returning();
      const gone = await chatResponseService.sendChatMessage(
        message({ userId: user!.id, attachments: [{ filename: 'a.txt', content: 'x' }] }),
      );
      const kept = await chatResponseService.sendChatMessage(message({ attachments: [{ filename: 'b.txt', content: 'y' }] }));
      expect(gone.success && kept.success).toBe(true);
      expect(await deleteAccount(user!.id)).toBeDefined();
      expect(await database.db.select().from(chatAttachments)).toHaveLength(1);
      // Nothing left for the sweep: the bytes went with the account.
      expect(await attachmentService.sweepOrphanAttachments({ olderThanMs: -60_000 })).toEqual({ deleted: 0 });
      const keptId = (await chatResponseService.getMessageById({ id: kept.messageId!, userId: USER }))!.attachments[0]!.id;
      expect((await download(keptId))!.body.toString()).toBe('y');
    });
  },
);
