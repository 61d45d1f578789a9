import { sql } from 'drizzle-orm';
import { getDatabase } from '@/lib/db/client';
import { rootCauseMessage } from '@/lib/errors/app-error';
import { getBoss } from '@/lib/jobs/queue';
import { queueReachable } from '@/lib/jobs/queue-stats';
import { getLogger } from '@/lib/log/logger';
import { fanoutStatus } from '@/lib/realtime/fanout';
import type { HealthComponent, HealthResponse } from '@/lib/schemas/health';

/**
 * Readiness: the database answers, the job queue answers (pg-boss started, its tables readable)
 * and the fan-out listener is not down. The listener starts with the first stream, so `idle`
 * is ready; `connecting`/`reconnecting`/`stopped` are not (streams would wait for their
 * re-sync). Each check has CHECK_TIMEOUT_MS; a failure is logged here with its cause, and the
 * answer says only ok or fail. One check runs at a time per process and its answer is reused
 * for REUSE_MS, so probing /api/health in a loop costs the database almost nothing.
 */

const CHECK_TIMEOUT_MS = 2_000;
const REUSE_MS = 1_000;

let last: { settledAt?: number; result: Promise<HealthResponse> } | undefined;

function withTimeout<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

async function check(component: HealthComponent, probe: () => Promise<void>): Promise<'ok' | 'fail'> {
  try {
    await withTimeout(probe());
    return 'ok';
  } catch (err) {
    getLogger().warn({ component, err: rootCauseMessage(err) }, 'readiness check failed');
    return 'fail';
  }
}

async function runChecks(): Promise<HealthResponse> {
  const [database, queue, fanout] = await Promise.all([
    check('database', async () => {
      const { db } = await getDatabase();
      await db.execute(sql`SELECT 1`);
    }),
    check('queue', async () => {
      await getBoss({ supervise: false });
      await queueReachable();
    }),
    check('fanout', async () => {
      const { listener } = fanoutStatus();
      if (listener !== 'idle' && listener !== 'listening') throw new Error(`listener ${listener}`);
    }),
  ]);
  const checks = { database, queue, fanout };
  return { status: Object.values(checks).every((s) => s === 'ok') ? 'ok' : 'fail', checks };
}

/** Readiness of this instance (see the module comment). */
export function readiness(): Promise<HealthResponse> {
  const reusable = last && (last.settledAt === undefined || Date.now() - last.settledAt <= REUSE_MS);
  if (!reusable || !last) {
    const current: NonNullable<typeof last> = { result: runChecks() };
    last = current;
    void current.result.finally(() => (current.settledAt = Date.now()));
    return current.result;
  }
  return last.result;
}

/** Forgets the reused answer (tests that swap the database). */
export function resetReadiness(): void {
  last = undefined;
}

/** Liveness: the process answers requests. Nothing else is checked (a database outage must not restart it). */
export function liveness(): HealthResponse {
  return { status: 'ok' };
}
