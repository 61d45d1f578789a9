import { getEnv } from '@/lib/config/env';
import { describeIssues } from '@/lib/errors/app-error';
import { publishActivity } from '@/lib/realtime/publish';
import { DEFAULT_ACTIVITY_LABELS, SendActivityInput, type ActivityPayload } from '@/lib/schemas/activity';

/** The outcome of `sendActivity`. */
export interface SendActivityResult {
  success: boolean;
  /** Handed to the fan-out (every instance's open streams of the user). */
  streamsSent: boolean;
  pusherSent: boolean;
  error?: string;
}

/**
 * Tells the user what the agent is doing for a task right now (`thinking`,
 * `checking_availability`, `booking`, or `idle` to clear it). Ephemeral: never stored, delivered
 * only to streams open now (SSE `activity`, no id) on every instance and over Pusher
 * (`agent-activity`); clients show it for ACTIVITY_TTL unless refreshed, and clear it on `idle`
 * or on the task's next message. Never throws; an invalid input is `success: false` naming the field.
 */
export async function sendActivity(input: SendActivityInput): Promise<SendActivityResult> {
  const parsed = SendActivityInput.safeParse(input);
  if (!parsed.success) {
    return { success: false, streamsSent: false, pusherSent: false, error: `Invalid activity: ${describeIssues(parsed.error.issues)}` };
  }
  const { userId, taskId, state, label } = parsed.data;
  const activity: ActivityPayload = {
    taskId,
    state,
    label: label?.trim() || DEFAULT_ACTIVITY_LABELS[state],
    ttlMs: getEnv().ACTIVITY_TTL,
    at: new Date().toISOString(),
  };
  const sent = await publishActivity(userId, activity);
  return { success: true, ...sent };
}
