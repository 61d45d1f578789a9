/**
 * The message types and priorities as plain constants. They live here, below both, because the
 * environment (CHAT_RETENTION names types, ESCALATE_AFTER names priorities) and the schemas
 * (src/lib/schemas, which import config) both need them. Pure: the browser bundles it too.
 */

export const CHAT_MESSAGE_TYPES = ['SCHEDULING_UPDATE', 'CONFIRMATION', 'CLARIFICATION', 'CANCELLATION', 'ERROR', 'INFO'] as const;
export type ChatMessageTypeName = (typeof CHAT_MESSAGE_TYPES)[number];

/** In increasing order; the database enum has the same order. */
export const CHAT_MESSAGE_PRIORITIES = ['LOW', 'NORMAL', 'HIGH', 'URGENT'] as const;
export type ChatMessagePriorityName = (typeof CHAT_MESSAGE_PRIORITIES)[number];

/** Priorities whose unread messages are escalated (ESCALATE_AFTER) and marked in the UI. */
export const ESCALATED_PRIORITIES = ['HIGH', 'URGENT'] as const satisfies readonly ChatMessagePriorityName[];
export type EscalatedPriority = (typeof ESCALATED_PRIORITIES)[number];
