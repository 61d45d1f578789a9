import { z } from 'zod';
import { ParsedRequestSchema } from './parse-request';

/** A slot offered to the user: ISO UTC instants (see `Slot` in availability.ts). */
export const SlotSchema = z.object({ start: z.string(), end: z.string() });

/**
 * A meeting offered for cancelling or moving. For a recurring meeting `start`/`end` are those of
 * one occurrence and `recurrence` is the series' rule.
 */
export const CancelCandidateSchema = SlotSchema.extend({ eventId: z.string(), title: z.string(), recurrence: z.string().optional() });
export type CancelCandidate = z.infer<typeof CancelCandidateSchema>;

/** `data.choices` of an offer: the shape lives with the chat messages, which the browser shares. */
export { MessageChoice as ChoiceSchema, MessageChoices as ChoicesSchema } from '@/lib/schemas/chat-messages';
export type { MessageChoice as Choice } from '@/lib/schemas/chat-messages';

/** What the agent is waiting for when a task is WAITING_FOR_USER. */
export const PendingSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('details') }),
  z.object({ kind: z.literal('request') }),
  z.object({ kind: z.literal('alternatives'), alternatives: z.array(SlotSchema) }),
  z.object({ kind: z.literal('cancel-choice'), candidates: z.array(CancelCandidateSchema) }),
  z.object({ kind: z.literal('move-choice'), candidates: z.array(CancelCandidateSchema) }),
  /** Yes/no: book a series whose listed occurrences conflict, skipping those. */
  z.object({ kind: z.literal('confirm'), action: z.literal('book-series'), skip: z.array(z.string()).optional() }),
  /** Yes/no: cancel these meetings ("clear my afternoon"); each is one meeting or one occurrence. */
  z.object({ kind: z.literal('clear'), candidates: z.array(CancelCandidateSchema) }),
  /** Cancel only this occurrence of a recurring meeting, or the whole series? */
  z.object({ kind: z.literal('scope'), candidate: CancelCandidateSchema }),
]);
export type Pending = z.infer<typeof PendingSchema>;
export type PendingKind = Pending['kind'];

/**
 * The agent's memory of a task between turns (the task's `intent` column). Read with
 * {@link parseAgentState}: a part that does not parse (a row written by an older version, say)
 * is dropped instead of failing the turn, so the agent asks again rather than erroring.
 */
export const AgentStateSchema = z.object({
  parsed: ParsedRequestSchema.optional().catch(undefined),
  pending: PendingSchema.optional().catch(undefined),
  /** The event a turn decided to cancel, saved before cancelling so a retry finishes that one. */
  cancelling: z
    .object({ turn: z.number().int().min(0), candidate: CancelCandidateSchema, scope: z.enum(['occurrence', 'series']).optional() })
    .optional()
    .catch(undefined),
});
export type AgentState = z.infer<typeof AgentStateSchema>;

/** The agent state stored in a task (null, or anything that is not an object, reads as empty). */
export function parseAgentState(raw: unknown): AgentState {
  const parsed = AgentStateSchema.safeParse(raw ?? {});
  return parsed.success ? parsed.data : {};
}
