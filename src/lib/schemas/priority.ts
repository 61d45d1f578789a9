import { z } from 'zod';
import {
  CHAT_MESSAGE_PRIORITIES,
  type ChatMessagePriorityName,
  ESCALATED_PRIORITIES,
  type EscalatedPriority,
} from '../config/message-enums';

/**
 * Message priority: the levels, their order, and how callers may spell them (any case, like the
 * message type). Shared with the browser (badges, the urgent banner, the `minPriority` filter).
 */

export { CHAT_MESSAGE_PRIORITIES, type ChatMessagePriorityName, ESCALATED_PRIORITIES, type EscalatedPriority };

export const DEFAULT_PRIORITY: ChatMessagePriorityName = 'NORMAL';

const PRIORITY_MESSAGE = `must be one of ${CHAT_MESSAGE_PRIORITIES.join(', ')} (any case)`;

export const ChatMessagePriority = z.enum(CHAT_MESSAGE_PRIORITIES, { message: PRIORITY_MESSAGE });

/** A priority as callers write it: `'high'`, `'High'` or `'HIGH'`. */
export const PriorityInput = z
  .string({ message: PRIORITY_MESSAGE })
  .transform((p) => p.trim().toUpperCase())
  .pipe(ChatMessagePriority);

/** The priorities at or above `min`, lowest first. */
export function prioritiesAtLeast(min: ChatMessagePriorityName): ChatMessagePriorityName[] {
  return CHAT_MESSAGE_PRIORITIES.slice(CHAT_MESSAGE_PRIORITIES.indexOf(min));
}

export function isEscalated(priority: ChatMessagePriorityName): priority is EscalatedPriority {
  return (ESCALATED_PRIORITIES as readonly string[]).includes(priority);
}

/** Unread counts per priority (`GET /api/chat-messages/unread-count`). */
export const UnreadByPriority = z.object({
  LOW: z.number().int().min(0),
  NORMAL: z.number().int().min(0),
  HIGH: z.number().int().min(0),
  URGENT: z.number().int().min(0),
});
export type UnreadByPriority = z.infer<typeof UnreadByPriority>;
