import { z } from 'zod';
import { ActivityPayload } from '@/lib/schemas/activity';

/**
 * What travels on the NOTIFY channel between instances: ids and positions only, never message
 * content (NOTIFY payloads are visible to every listener and capped at 8000 bytes); an agent
 * activity carries its short label, which is never stored anywhere.
 */

/** The NOTIFY channel for messages and read changes. */
export const NOTIFY_CHANNEL = 'chat_messages';

const Notification = z.union([
  z.object({ userId: z.string().min(1), kind: z.literal('read'), upTo: z.number().int().min(0) }),
  z.object({
    userId: z.string().min(1),
    kind: z.literal('read'),
    ids: z.array(z.string()),
    positions: z.array(z.number().int()),
  }),
  z.object({ userId: z.string().min(1), position: z.number().int().min(0), kind: z.undefined().optional() }),
  // The agent's live activity: carried whole (a label of at most 200 characters), never stored.
  z.object({ userId: z.string().min(1), kind: z.literal('activity'), activity: ActivityPayload }),
]);

/** A message committed for a user (its position), a read change of a user, or an agent activity. */
export type Notification = z.infer<typeof Notification>;

/** The notification in a NOTIFY payload, or null for anything else (someone else may NOTIFY on the channel). */
export function parseNotification(payload: string): Notification | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return null;
  }
  const notification = Notification.safeParse(parsed);
  return notification.success ? notification.data : null;
}
