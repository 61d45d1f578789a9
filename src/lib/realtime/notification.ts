import { z } from 'zod';

/**
 * What travels on the NOTIFY channel between instances: ids and positions only, never content
 * (NOTIFY payloads are visible to every listener and capped at 8000 bytes).
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
]);

/** A message committed for a user (its position), or a read change of a user. */
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
