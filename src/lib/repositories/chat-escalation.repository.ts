import { newId } from '@/lib/db/ids';
import { and, eq, ne, sql } from 'drizzle-orm';
import type { Db } from '@/lib/db/client';
import { chatEscalations, type ChatEscalationRow } from '@/lib/db/schema';

/**
 * The one module that reads and writes `chat_escalations`: one row per escalated message, holding
 * the delivery id every attempt carries and whether a receiver acknowledged it. Rows go with their
 * message (ON DELETE CASCADE), so the retention purge and account deletion need nothing here.
 */

/**
 * The message's escalation row, created PENDING with a new delivery id on the first call. Every
 * later call (a retry, a re-run after a crash) gets the same row, so the receiver sees one
 * delivery id however often the message is posted.
 */
export async function claimEscalation(db: Db, messageId: string): Promise<ChatEscalationRow> {
  await db.insert(chatEscalations).values({ messageId, deliveryId: newId() }).onConflictDoNothing({ target: chatEscalations.messageId });
  const [row] = await db.select().from(chatEscalations).where(eq(chatEscalations.messageId, messageId));
  if (!row) throw new Error('escalation row was neither created nor found (its message was deleted)');
  return row;
}

/** Counts one failed attempt and why (an HTTP status or a network error; never a body). */
export async function recordFailure(db: Db, messageId: string, reason: string): Promise<void> {
  await db
    .update(chatEscalations)
    .set({ attempts: sql`${chatEscalations.attempts} + 1`, lastError: reason.slice(0, 500) })
    .where(eq(chatEscalations.messageId, messageId));
}

/** Marks the escalation delivered (a 2xx); true when this call did it, false when it already was. */
export async function markDelivered(db: Db, messageId: string): Promise<boolean> {
  const rows = await db
    .update(chatEscalations)
    .set({ status: 'DELIVERED', deliveredAt: sql`now()`, attempts: sql`${chatEscalations.attempts} + 1`, lastError: null })
    .where(and(eq(chatEscalations.messageId, messageId), ne(chatEscalations.status, 'DELIVERED')))
    .returning({ messageId: chatEscalations.messageId });
  return rows.length > 0;
}

/**
 * Records that the message was read before its escalation was delivered (nothing is sent). A
 * delivered escalation stays DELIVERED. Creates the row when there is none yet.
 */
export async function markCancelled(db: Db, messageId: string): Promise<void> {
  await db
    .insert(chatEscalations)
    .values({ messageId, deliveryId: newId(), status: 'CANCELLED' })
    .onConflictDoUpdate({
      target: chatEscalations.messageId,
      set: { status: 'CANCELLED' },
      setWhere: ne(chatEscalations.status, 'DELIVERED'),
    });
}

/** The escalation row of a message, or null (tests, operators). */
export async function selectEscalation(db: Db, messageId: string): Promise<ChatEscalationRow | null> {
  const [row] = await db.select().from(chatEscalations).where(eq(chatEscalations.messageId, messageId));
  return row ?? null;
}
