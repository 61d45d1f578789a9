import { createHmac } from 'node:crypto';
import { getEnv } from '@/lib/config/env';
import { getDb } from '@/lib/db/client';
import type { ChatMessageRow } from '@/lib/db/schema';
import { enqueueEscalation, type EscalationJob } from '@/lib/jobs/escalation-jobs';
import { getLogger } from '@/lib/log/logger';
import { toChatMessagePayload } from '@/lib/realtime/payloads';
import * as escalationRepository from '@/lib/repositories/chat-escalation.repository';
import * as chatMessageRepository from '@/lib/repositories/chat-message.repository';
import { isEscalated } from '@/lib/schemas/priority';

/**
 * Escalation of what stays unread (README "Priority and escalation"). A HIGH or URGENT message
 * gets a delayed job at send time (`scheduleEscalation`); when it is due, `runEscalation` posts
 * the message once to ESCALATION_WEBHOOK_URL, signed with ESCALATION_WEBHOOK_SECRET, unless the
 * message was read (or deleted) first. Exactly once after a 2xx: the delivery is recorded in
 * `chat_escalations` and never repeated; every attempt carries the same delivery id, so a
 * receiver that answered 2xx to a worker that then died recognises the repeat.
 */

export const SIGNATURE_HEADER = 'x-chat-signature';
export const DELIVERY_ID_HEADER = 'x-chat-delivery-id';
export const ESCALATION_EVENT = 'chat-message.escalated';

/** `sha256=<hex HMAC-SHA256 of the raw body>`, as receivers recompute it. */
export function signBody(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * After a send: schedules the escalation of a HIGH or URGENT message, due ESCALATE_AFTER from
 * now. Does nothing for other priorities or without ESCALATION_WEBHOOK_URL. Never throws (the
 * message is stored; a failure to schedule is logged).
 */
export async function scheduleEscalation(message: Pick<ChatMessageRow, 'id' | 'userId' | 'priority'>): Promise<void> {
  if (!isEscalated(message.priority)) return;
  const env = getEnv();
  if (!env.ESCALATION_WEBHOOK_URL) return;
  try {
    await enqueueEscalation({ messageId: message.id, userId: message.userId }, env.ESCALATE_AFTER[message.priority]);
  } catch (err) {
    getLogger().error(
      { err: err instanceof Error ? err.message : String(err), messageId: message.id },
      'could not schedule the escalation of a message',
    );
  }
}

export type EscalationOutcome = 'delivered' | 'already-delivered' | 'cancelled' | 'gone' | 'unconfigured';

/** The JSON body posted for one message: the same text on every attempt. */
export function escalationBody(deliveryId: string, message: ChatMessageRow): string {
  return JSON.stringify({
    deliveryId,
    event: ESCALATION_EVENT,
    message: { ...toChatMessagePayload(message), userId: message.userId, orgId: message.orgId },
  });
}

/**
 * Works one escalation job. Throws when the receiver did not answer 2xx (or not in time), so the
 * queue retries with backoff; returns what happened otherwise.
 */
export async function runEscalation(job: EscalationJob): Promise<EscalationOutcome> {
  const env = getEnv();
  const db = await getDb();
  const log = getLogger();
  const message = await chatMessageRepository.selectById(db, { id: job.messageId, userId: job.userId });
  if (!message) return 'gone';
  if (message.read) {
    await escalationRepository.markCancelled(db, message.id);
    log.info({ messageId: message.id }, 'escalation cancelled: the message was read');
    return 'cancelled';
  }
  if (!env.ESCALATION_WEBHOOK_URL || !env.ESCALATION_WEBHOOK_SECRET) return 'unconfigured';
  const escalation = await escalationRepository.claimEscalation(db, message.id);
  if (escalation.status === 'DELIVERED') return 'already-delivered';
  if (escalation.status === 'CANCELLED') return 'cancelled';

  const body = escalationBody(escalation.deliveryId, message);
  let failure: string | null = null;
  try {
    const response = await fetch(env.ESCALATION_WEBHOOK_URL, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'chat-response-service-escalation/1',
        [DELIVERY_ID_HEADER]: escalation.deliveryId,
        [SIGNATURE_HEADER]: signBody(body, env.ESCALATION_WEBHOOK_SECRET),
      },
      body,
      // A redirect is not an acknowledgement: it counts as a failure and is retried.
      redirect: 'manual',
      signal: AbortSignal.timeout(env.ESCALATION_WEBHOOK_TIMEOUT_MS),
    });
    // The body is not needed; reading it frees the connection.
    await response.arrayBuffer().catch(() => undefined);
    if (response.status < 200 || response.status >= 300) failure = `HTTP ${response.status}`;
  } catch (err) {
    failure = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  }
  if (failure !== null) {
    await escalationRepository.recordFailure(db, message.id, failure);
    log.warn({ messageId: message.id, deliveryId: escalation.deliveryId, reason: failure }, 'escalation webhook failed; will retry');
    throw new Error(`escalation webhook failed: ${failure}`);
  }
  await escalationRepository.markDelivered(db, message.id);
  log.info({ messageId: message.id, deliveryId: escalation.deliveryId }, 'escalation delivered');
  return 'delivered';
}
