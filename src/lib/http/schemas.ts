import { z } from 'zod';
import { AppError } from '@/lib/errors/app-error';
import { MAX_ID_LENGTH, MAX_PAGE_SIZE } from '@/lib/services/chat-message.schemas';

/** Request schemas shared by the route handlers. */

const LIMIT_MESSAGE = `must be an integer from 1 to ${MAX_PAGE_SIZE}`;

export const ListQuery = z.object({
  limit: z
    .string()
    .regex(/^\d{1,3}$/, LIMIT_MESSAGE)
    .transform(Number)
    .pipe(z.number().int().min(1, LIMIT_MESSAGE).max(MAX_PAGE_SIZE, LIMIT_MESSAGE))
    .optional()
    .default(50),
});

export const MarkReadBody = z.object(
  {
    messageIds: z
      .array(
        z
          .string({ message: 'must be a string' })
          .min(1, 'must not be empty')
          .max(MAX_ID_LENGTH, `must be at most ${MAX_ID_LENGTH} characters`),
        { message: 'must be an array of message ids' },
      )
      .min(1, 'must hold at least one id')
      .max(MAX_PAGE_SIZE, `must hold at most ${MAX_PAGE_SIZE} ids`),
  },
  { message: 'must be a JSON object' },
);

export const TaskIdParams = z.object({
  taskId: z.string().min(1, 'must not be empty').max(MAX_ID_LENGTH, `must be at most ${MAX_ID_LENGTH} characters`),
});

const POSITION_MESSAGE = 'must be an integer position >= 0';

/** A cursor position as text (query string, Last-Event-ID header): digits only, a safe integer. */
const PositionText = z
  .string()
  .regex(/^\d{1,16}$/, POSITION_MESSAGE)
  .transform(Number)
  .pipe(z.number().int().max(Number.MAX_SAFE_INTEGER, POSITION_MESSAGE));

export const StreamQuery = z.object({
  since: PositionText.optional(),
});

/**
 * The `Last-Event-ID` header EventSource sends on reconnect, as a position; undefined when absent
 * or empty (EventSource omits it until it has seen an id).
 * @throws AppError `invalid_input` for anything but a non-negative integer.
 */
export function parseLastEventId(header: string | null): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const parsed = PositionText.safeParse(header.trim());
  if (!parsed.success) throw new AppError('invalid_input', `Invalid Last-Event-ID header: ${POSITION_MESSAGE}`);
  return parsed.data;
}

export const MarkAllReadBody = z.object(
  {
    upTo: z
      .number({ message: POSITION_MESSAGE })
      .int(POSITION_MESSAGE)
      .min(0, POSITION_MESSAGE)
      .max(Number.MAX_SAFE_INTEGER, POSITION_MESSAGE),
  },
  { message: 'must be a JSON object' },
);

export const MessageIdParams = z.object({
  id: z.string().min(1, 'must not be empty').max(MAX_ID_LENGTH, `must be at most ${MAX_ID_LENGTH} characters`),
});
