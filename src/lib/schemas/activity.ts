import { z } from 'zod';
import { Id } from './common';
import { unstorableTextReason } from './text';

/**
 * The agent's live activity ("typing indicators"): what it is doing for a task right now. Never
 * stored: delivered to the user's open streams (SSE `activity`) and Pusher (`agent-activity`),
 * shown by the client until ACTIVITY_TTL passes without a refresh, `idle` comes, or the next
 * message of that task arrives. Shared with the browser.
 */

export const ACTIVITY_STATES = ['thinking', 'checking_availability', 'booking', 'idle'] as const;
export type ActivityState = (typeof ACTIVITY_STATES)[number];

export const MAX_ACTIVITY_LABEL = 200;

/** What `chatResponseService.sendActivity` takes. */
export const SendActivityInput = z.object({
  userId: z.string({ message: 'is required' }).trim().pipe(Id),
  taskId: Id,
  state: z.enum(ACTIVITY_STATES, { message: `must be one of ${ACTIVITY_STATES.join(', ')}` }),
  label: z
    .string({ message: 'must be a string' })
    .max(MAX_ACTIVITY_LABEL, `must be at most ${MAX_ACTIVITY_LABEL} characters`)
    .superRefine((s, ctx) => {
      const reason = unstorableTextReason(s);
      if (reason) ctx.addIssue({ code: 'custom', message: reason });
    })
    .optional(),
});
export type SendActivityInput = z.input<typeof SendActivityInput>;

/** What the SSE `activity` event and the Pusher `agent-activity` event carry. */
export const ActivityPayload = z
  .object({
    taskId: z.string(),
    state: z.enum(ACTIVITY_STATES),
    /** What the UI shows; a default per state when the sender gave none. */
    label: z.string(),
    /** How long the client shows it unless refreshed (ACTIVITY_TTL). */
    ttlMs: z.number().int().positive(),
    /** When it was sent (ISO-8601). */
    at: z.string(),
  })
  .meta({ id: 'AgentActivity' });
export type ActivityPayload = z.infer<typeof ActivityPayload>;

/** The label shown when the sender gave none. */
export const DEFAULT_ACTIVITY_LABELS: Record<ActivityState, string> = {
  thinking: 'Thinking…',
  checking_availability: 'Checking availability…',
  booking: 'Booking…',
  idle: '',
};
