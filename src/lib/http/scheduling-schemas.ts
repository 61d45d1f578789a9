import { z } from 'zod';
import { isTimeZone } from '@/lib/config/env';
import { MAX_ID_LENGTH } from '@/lib/services/chat-message.schemas';

/** Request schemas of the scheduling agent's and calendar's routes. */

export const SubmitTaskBody = z.object(
  {
    request: z
      .string({ message: 'is required' })
      .refine((s) => s.trim().length > 0, 'must not be empty')
      .refine((s) => s.length <= 2_000, 'must be at most 2000 characters'),
    timezone: z.string().max(64).refine(isTimeZone, 'must be an IANA time zone such as Europe/Berlin').optional(),
    taskId: z.string().min(1).max(MAX_ID_LENGTH).optional(),
  },
  { message: 'must be a JSON object' },
);

export const TaskParams = z.object({ id: z.string().min(1).max(MAX_ID_LENGTH, `must be at most ${MAX_ID_LENGTH} characters`) });

const instant = z.iso.datetime({ offset: true, message: 'must be an ISO-8601 date-time such as 2026-11-25T00:00:00Z' }).transform((s) => new Date(s));

export const EventsQuery = z.object({ from: instant, to: instant });
