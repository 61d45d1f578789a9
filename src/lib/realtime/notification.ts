import { z } from 'zod';

/**
 * What travels on the NOTIFY channel between instances: ids and positions only, never content
 * (NOTIFY payloads are visible to every listener and capped at 8000 bytes).
 */

/** The NOTIFY channel (and Redis channel) for messages, read changes and ephemeral events. */
export const NOTIFY_CHANNEL = 'chat_messages';

/**
 * An ephemeral event's SSE name: lower-case words, not one of the stream's own events
 * (protocol.ts SSE_EVENTS), which clients treat as stored state.
 */
export const EPHEMERAL_EVENT_NAME = /^(?!(chat-message|ready|read)$)[a-z][a-z0-9-]{0,31}$/;
/** Serialized bytes an ephemeral event's data may take (NOTIFY payloads stop at 8000 bytes). */
export const EPHEMERAL_MAX_BYTES = 4_096;

const Notification = z.union([
  z.object({ userId: z.string().min(1), kind: z.literal('read'), upTo: z.number().int().min(0) }),
  z.object({
    userId: z.string().min(1),
    kind: z.literal('read'),
    ids: z.array(z.string()),
    positions: z.array(z.number().int()),
  }),
  z.object({ userId: z.string().min(1), position: z.number().int().min(0), kind: z.undefined().optional() }),
  z.object({
    userId: z.string().min(1),
    kind: z.literal('ephemeral'),
    event: z.string().regex(EPHEMERAL_EVENT_NAME),
    data: z.record(z.string(), z.unknown()),
  }),
]);

/** A message committed for a user (its position), a read change of a user, or an ephemeral event for the user's streams. */
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
