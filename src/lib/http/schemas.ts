import { z } from 'zod';
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
