import { z } from 'zod';
import { CHAT_MESSAGE_TYPES } from '@/lib/db/schema';

/** Longest id, task id, user id or idempotency key we accept (MySQL-era varchar(191) habit kept by the guide's users). */
export const MAX_ID_LENGTH = 191;
export const MAX_CONTENT_LENGTH = 10_000;
export const MAX_DATA_BYTES = 64 * 1024;
export const MAX_PAGE_SIZE = 100;

/** `data` must be a plain JSON object whose serialized form fits in 64 KiB. */
const JsonObject = z
  .custom<Record<string, unknown>>(
    (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
    { message: 'must be a JSON object' },
  )
  .superRefine((value, ctx) => {
    let serialized: string;
    try {
      serialized = JSON.stringify(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be serializable as JSON' });
      return;
    }
    if (Buffer.byteLength(serialized) > MAX_DATA_BYTES) {
      ctx.addIssue({ code: 'custom', message: `must be at most ${MAX_DATA_BYTES} bytes as JSON` });
    }
  });

/** A message as callers hand it to `sendChatMessage`; `type` may be lower or upper case. */
export const SendChatMessageInput = z.object({
  type: z
    .string({ message: `must be one of ${CHAT_MESSAGE_TYPES.join(', ')}` })
    .transform((t) => t.toUpperCase())
    .pipe(z.enum(CHAT_MESSAGE_TYPES, { message: `must be one of ${CHAT_MESSAGE_TYPES.join(', ')}` })),
  userId: z
    .string({ message: 'is required' })
    .trim()
    .min(1, 'must not be empty')
    .max(MAX_ID_LENGTH, `must be at most ${MAX_ID_LENGTH} characters`),
  content: z
    .string({ message: 'is required' })
    .refine((s) => s.trim().length > 0, 'must not be empty')
    .refine((s) => s.length <= MAX_CONTENT_LENGTH, `must be at most ${MAX_CONTENT_LENGTH} characters`),
  taskId: z
    .string()
    .min(1, 'must not be empty')
    .max(MAX_ID_LENGTH, `must be at most ${MAX_ID_LENGTH} characters`)
    .nullish(),
  data: JsonObject.nullish(),
  timestamp: z.iso.datetime({ offset: true, message: 'must be an ISO-8601 date-time' }).optional(),
  idempotencyKey: z
    .string()
    .min(1, 'must not be empty')
    .max(MAX_ID_LENGTH, `must be at most ${MAX_ID_LENGTH} characters`)
    .optional(),
});

export type SendChatMessageInput = z.input<typeof SendChatMessageInput>;

export const OrgId = z.string().min(1, 'must not be empty').max(MAX_ID_LENGTH).optional();

export const PageLimit = z
  .number({ message: `must be an integer from 1 to ${MAX_PAGE_SIZE}` })
  .int(`must be an integer from 1 to ${MAX_PAGE_SIZE}`)
  .min(1, `must be an integer from 1 to ${MAX_PAGE_SIZE}`)
  .max(MAX_PAGE_SIZE, `must be an integer from 1 to ${MAX_PAGE_SIZE}`);

export const MessageIds = z
  .array(z.string().min(1).max(MAX_ID_LENGTH), { message: 'must be an array of message ids' })
  .max(MAX_PAGE_SIZE, `must hold at most ${MAX_PAGE_SIZE} ids`);
