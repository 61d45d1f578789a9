import { z } from 'zod';
import { Id } from './common';
import { unstorableTextReason } from './text';

/**
 * Attachments of chat messages: what senders hand to `sendChatMessage`, and the summary every
 * list item, stream event and Pusher event carries (`{ id, filename, contentType, size, url }`).
 * Shared with the browser (the chips), so no runtime imports beyond zod.
 */

export const MAX_ATTACHMENTS = 10;
export const MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024;
export const MAX_FILENAME_LENGTH = 200;

/** The download path of an attachment; the route answers only its owner. */
export function attachmentUrl(id: string): string {
  return `/api/chat-messages/attachments/${encodeURIComponent(id)}`;
}

/**
 * A filename safe to store and to put in a Content-Disposition header: the last path segment
 * only (no directories, no `..`), control characters, quotes, backslashes and characters
 * Windows refuses replaced by `_`, leading dots removed, at most MAX_FILENAME_LENGTH
 * characters. Empty after that: `attachment`.
 */
export function sanitizeFilename(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const cleaned = base
    .replace(/[\u0000-\u001f\u007f"*:<>?|\\]/g, '_')
    .replace(/^[.\s]+/, '')
    .trim();
  const cut = Array.from(cleaned).slice(0, MAX_FILENAME_LENGTH).join('');
  return cut.length > 0 ? cut : 'attachment';
}

const CONTENT_TYPE =
  /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}(\s*;\s*[a-z0-9_.-]+=("[^"\r\n]*"|[^;"\s\r\n]*))*$/i;

/** A MIME type such as `text/calendar; method=REQUEST`; lower-cased. */
export const ContentType = z
  .string({ message: 'is required' })
  .max(255, 'must be at most 255 characters')
  .regex(CONTENT_TYPE, 'must be a MIME type such as text/calendar')
  .transform((s) => s.toLowerCase());

const isBinary = (v: unknown): v is Uint8Array => v instanceof Uint8Array;

/** One file a sender attaches: `content` a Buffer (or Uint8Array) or a string (stored as UTF-8). */
export const AttachmentInput = z.object(
  {
    filename: z
      .string({ message: 'is required' })
      .max(1000, 'must be at most 1000 characters')
      .refine((s) => s.trim().length > 0, 'must not be empty')
      .superRefine((s, ctx) => {
        const reason = unstorableTextReason(s);
        if (reason) ctx.addIssue({ code: 'custom', message: reason });
      })
      .transform(sanitizeFilename),
    contentType: ContentType.optional().default('application/octet-stream'),
    content: z
      .custom<Uint8Array | string>((v) => typeof v === 'string' || isBinary(v), { message: 'must be a Buffer or a string' })
      .transform((v) => (typeof v === 'string' ? Buffer.from(v, 'utf8') : Buffer.from(v.buffer, v.byteOffset, v.byteLength)))
      .refine((b) => b.byteLength <= MAX_ATTACHMENT_BYTES, `must be at most ${MAX_ATTACHMENT_BYTES} bytes (5 MB)`),
  },
  { message: 'must be an object { filename, contentType, content }' },
);
export type AttachmentInput = z.input<typeof AttachmentInput>;

export const AttachmentInputs = z
  .array(AttachmentInput, { message: 'must be an array' })
  .max(MAX_ATTACHMENTS, `must hold at most ${MAX_ATTACHMENTS} files`);

/** What a message stores and sends about each attachment (no bodies). */
export const AttachmentSummary = z.object({
  id: z.string(),
  filename: z.string(),
  contentType: z.string(),
  size: z.number().int().min(0),
});
export type AttachmentSummary = z.infer<typeof AttachmentSummary>;

/** An attachment in every list item, stream event and Pusher event. */
export const AttachmentView = AttachmentSummary.extend({
  /** Relative URL of the download (`GET`, the owner's session only). */
  url: z.string(),
}).meta({ id: 'Attachment' });
export type AttachmentView = z.infer<typeof AttachmentView>;

/** The summaries a row holds, as views with their URL (anything malformed in the row is skipped). */
export function toAttachmentViews(stored: unknown): AttachmentView[] {
  if (!Array.isArray(stored)) return [];
  const views: AttachmentView[] = [];
  for (const item of stored) {
    const parsed = AttachmentSummary.safeParse(item);
    if (parsed.success) views.push({ ...parsed.data, url: attachmentUrl(parsed.data.id) });
  }
  return views;
}

/** `GET /api/chat-messages/attachments/{id}` */
export const AttachmentIdParams = z.object({ id: Id });
