import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resetEnvCache } from '@/lib/config/env';
import type { Database } from '@/lib/db/client';
import { endSession, isSessionActiveNow, startSession } from '@/lib/auth/session-store';
import { openChatStream } from '@/lib/realtime/chat-stream';
import { announceSessionsEnded, fanoutStatus, stopFanout } from '@/lib/realtime/fanout';
import * as sessionRepository from '@/lib/repositories/user-session.repository';
import * as chatResponseService from '@/lib/services/chat-response.service';
import { createUser } from '@/lib/services/user.service';
import { eventData, SseReader } from '@test/helpers/sse-client';
import { DATABASE_KINDS, useFreshDatabase } from '@test/helpers/test-db';
import { waitFor } from '@test/helpers/wait';

// A stream opened with a session ends when that session ends: at once on the fan-out's
// `sessions-ended`, at the latest on its periodic re-check (SSE_SESSION_RECHECK_MS) when the
// announcement is lost. Real session store and fan-out in this process, on both databases.

const PASSWORD = 'a long enough password';
/** The safety net's interval in the test that relies on it; the others set it out of reach (600 s). */
const RECHECK_MS = 1_000;

function setRecheck(ms: number): void {
  process.env.SSE_SESSION_RECHECK_MS = String(ms);
  resetEnvCache();
}

describe.each(DATABASE_KINDS)('streams of ended sessions on %s', (kind) => {
  let database: Database;
  let teardown: () => Promise<void>;
  const aborts: AbortController[] = [];
  const saved = process.env.SSE_SESSION_RECHECK_MS;

  beforeAll(async () => {
    setRecheck(600_000);
    ({ database, teardown } = await useFreshDatabase(kind));
  });
  afterAll(async () => {
    for (const abort of aborts) abort.abort();
    await stopFanout();
    await teardown();
    if (saved === undefined) delete process.env.SSE_SESSION_RECHECK_MS;
    else process.env.SSE_SESSION_RECHECK_MS = saved;
    resetEnvCache();
  });

  /** A live stream of the user tied to `sessionId`, with `stillSignedIn` (default: the real uncached check). */
  async function liveStream(userId: string, sessionId: string, stillSignedIn?: () => Promise<boolean>): Promise<SseReader> {
    const abort = new AbortController();
    aborts.push(abort);
    const body = await openChatStream({
      userId,
      since: null,
      signal: abort.signal,
      heartbeatMs: 60_000,
      stillSignedIn: stillSignedIn ?? (() => isSessionActiveNow(sessionId, userId)),
    });
    const events = new SseReader(body);
    await events.until((e) => e.event === 'ready');
    // On PostgreSQL the announcement is a NOTIFY: one sent before the LISTEN connection is up is lost
    // (the periodic re-check's case, tested on its own below), so wait for it.
    if (kind === 'postgres') await waitFor(async () => (fanoutStatus().listener === 'listening' ? true : undefined), 'LISTEN', 20_000);
    return events;
  }

  it('ending a session ends its stream with session-ended at once; the same user’s other session keeps streaming', async () => {
    const { id: userId } = await createUser({ email: `one-${kind}@example.com`, password: PASSWORD });
    const [ending, staying] = [await startSession(userId), await startSession(userId)];
    const endingStream = await liveStream(userId, ending);
    const stayingStream = await liveStream(userId, staying);

    await endSession(ending);

    // The periodic re-check is 600 s away: only the announcement can end it within the wait.
    const seen = await endingStream.until((e) => e.event === 'session-ended', 5_000);
    expect(seen.map((e) => e.event)).toEqual(['session-ended']);
    expect(eventData(seen[0]!)).toEqual({});
    await endingStream.waitForEnd(5_000);

    await chatResponseService.sendInfo('t', userId, 'after the sign-out');
    const after = await stayingStream.until((e) => e.event === 'chat-message');
    expect(after.map((e) => e.event)).toEqual(['chat-message']);
    expect(stayingStream.ended).toBe(false);
  });

  it('the internal sessions-ended notification never reaches a stream whose session still holds', async () => {
    const { id: userId } = await createUser({ email: `kept-${kind}@example.com`, password: PASSWORD });
    const sessionId = await startSession(userId);
    let checks = 0;
    const stream = await liveStream(userId, sessionId, async () => {
      checks++;
      return isSessionActiveNow(sessionId, userId);
    });

    await announceSessionsEnded(userId);
    await chatResponseService.sendInfo('t', userId, 'still here');

    const seen = await stream.until((e) => e.event === 'chat-message');
    expect(seen.map((e) => e.event)).toEqual(['chat-message']);
    expect(checks).toBeGreaterThan(0);
    expect(stream.ended).toBe(false);
  });

  it('a session deleted without any announcement still ends its stream at the periodic re-check', async () => {
    const { id: userId } = await createUser({ email: `lost-${kind}@example.com`, password: PASSWORD });
    const sessionId = await startSession(userId);
    setRecheck(RECHECK_MS);
    const stream = await liveStream(userId, sessionId);
    setRecheck(600_000);

    // The row goes, as on another instance whose announcement was lost: nothing is announced.
    await sessionRepository.deleteSession(database.db, sessionId);

    const seen = await stream.until((e) => e.event === 'session-ended', RECHECK_MS * 10);
    expect(seen.map((e) => e.event)).toEqual(['session-ended']);
    await stream.waitForEnd(5_000);
  });

  it('a re-check that fails (database unreachable) keeps the stream; the next one that answers ends it', async () => {
    const { id: userId } = await createUser({ email: `flaky-${kind}@example.com`, password: PASSWORD });
    const sessionId = await startSession(userId);
    let failures = 0;
    let valid = true;
    const stream = await liveStream(userId, sessionId, async () => {
      if (failures < 2) {
        failures++;
        throw new Error('database unreachable');
      }
      return valid;
    });

    await announceSessionsEnded(userId);
    await announceSessionsEnded(userId);
    await chatResponseService.sendInfo('t', userId, 'kept through failures');
    await stream.until((e) => e.event === 'chat-message');
    expect(stream.ended).toBe(false);

    valid = false;
    await announceSessionsEnded(userId);
    await stream.until((e) => e.event === 'session-ended', RECHECK_MS * 10);
    await stream.waitForEnd(5_000);
  });
});
