import { z } from 'zod';
import { ChatMessageType } from './chat-messages';

/**
 * Retention per message type (CHAT_RETENTION): what `GET /api/chat-messages/retention` answers.
 * Its own module so the chat-messages schemas stay one readable file.
 */

/** One type's rule in `GET /api/chat-messages/retention`. */
export const RetentionRule = z
  .object({
    type: ChatMessageType,
    /** How long a message of this type is kept (`7d`), or null: kept forever. */
    keepFor: z.string().nullable(),
    seconds: z.number().int().min(1).nullable(),
    /** Where the rule comes from: the type named in CHAT_RETENTION, its `default`, or nothing set. */
    source: z.enum(['type', 'default', 'none']),
  })
  .meta({ id: 'RetentionRule' });

export const RetentionResponse = z.object({
  /** True when no message is ever deleted (CHAT_RETENTION unset). */
  keepForever: z.boolean(),
  rules: z.array(RetentionRule),
});
export type RetentionResponse = z.infer<typeof RetentionResponse>;
