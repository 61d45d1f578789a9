import type { ChatMessageRow } from '@/lib/db/schema';
import { publishToPusher } from './pusher';

/**
 * Everything that happens after a message is committed: the real-time transports.
 * Never throws; each transport logs its own failures.
 */
export async function publishChatMessage(message: ChatMessageRow): Promise<{ pusherSent: boolean }> {
  const pusherSent = await publishToPusher(message);
  return { pusherSent };
}
