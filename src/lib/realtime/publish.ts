import type { ChatMessageRow } from '@/lib/db/schema';
import type { ActivityPayload } from '@/lib/schemas/activity';
import { announceEphemeral, announceMessage, announceRead } from './notify-announcer';
import { SSE_EVENTS } from './protocol';
import type { ReadChange } from './protocol';
import { publishActivityToPusher, publishToPusher } from './pusher';

/**
 * Everything that happens after a message is committed: the real-time transports. Pusher (when
 * configured) and the built-in SSE streams (PostgreSQL: NOTIFY to every instance; PGlite: this
 * process's hub) are told in parallel so neither waits for the other.
 * Never throws; each transport logs its own failures.
 */
export async function publishChatMessage(message: ChatMessageRow): Promise<{ pusherSent: boolean }> {
  const [pusherSent] = await Promise.all([publishToPusher(message), announceMessage(message.userId, message.position)]);
  return { pusherSent };
}

/**
 * After messages were marked read: tells the user's open SSE streams on every instance, so other
 * tabs clear their badges. Never throws.
 */
export async function publishReadChange(userId: string, change: ReadChange): Promise<void> {
  await announceRead(userId, change);
}

/**
 * The agent's live activity: to the user's streams on every instance (through the fan-out) and
 * to Pusher, in parallel. Nothing is stored. Never throws.
 */
export async function publishActivity(userId: string, activity: ActivityPayload): Promise<{ streamsSent: boolean; pusherSent: boolean }> {
  // An ephemeral stream event (no id, never replayed) through whichever fan-out runs (NOTIFY or Redis).
  const [streamsSent, pusherSent] = await Promise.all([
    announceEphemeral(userId, SSE_EVENTS.activity, { ...activity }),
    publishActivityToPusher(userId, activity),
  ]);
  return { streamsSent, pusherSent };
}
