import fs from 'node:fs';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDatabase, openDatabase, setDatabase } from '@/lib/db/client';
import * as chatResponseService from '@/lib/services/chat-response.service';
import { createUser } from '@/lib/services/user.service';
import { startApp, type AppServer } from '@test/helpers/app-server';
import { Browser } from '@test/helpers/http-client';
import { DATABASE_KINDS } from '@test/helpers/test-db';
import { report } from './support';

// A 20 MB backlog (290 messages of 10,000 characters and ~60 KB of data) replayed over SSE from
// `since=0`, on PGlite and on PostgreSQL: first by one client, then by ten at once that read
// slowly. Every client gets every message once, in order, then `ready`; the server's resident
// memory is sampled meanwhile and reported (the bound per stream is asserted in
// chat-stream.integration.test.ts, where the bytes queued in each stream can be read).

const PASSWORD = 'a long enough password';
const MESSAGES = 290;
const READERS = 10;
const content = (i: number) => `backlog ${i} `.padEnd(10_000, 'c');
const data = (i: number) => ({ n: i, blob: 'd'.repeat(60_000) });

interface Replay {
  positions: number[];
  badContent: number;
  ready: boolean;
  bytes: number;
}

/**
 * Reads the stream from `since=0` until `ready`, checking each message's content; `slow` pauses
 * the socket for a moment after every chunk, as a client on a slow link would.
 */
function replay(port: number, cookie: string, slow: boolean): Promise<Replay> {
  return new Promise((resolve, reject) => {
    const result: Replay = { positions: [], badContent: 0, ready: false, bytes: 0 };
    const req = http.request({
      host: '127.0.0.1',
      port,
      path: '/api/chat-messages/stream?since=0',
      agent: false,
      headers: { cookie, accept: 'text/event-stream' },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`stream answered ${res.statusCode}`));
        return;
      }
      res.setEncoding('utf8');
      let buffer = '';
      res.on('end', () => reject(new Error(`stream ended after ${result.positions.length} messages, before ready`)));
      res.on('data', (chunk: string) => {
        result.bytes += chunk.length;
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const payload = /^data: (.*)$/m.exec(block)?.[1];
          if (event === 'ready') {
            result.ready = true;
            req.destroy();
            resolve(result);
            return;
          }
          if (event !== 'chat-message' || !payload) continue;
          const message = JSON.parse(payload) as { position: number; content: string; data: { n: number } };
          result.positions.push(message.position);
          if (message.content !== content(message.position) || message.data.n !== message.position) result.badContent++;
        }
        if (slow) {
          res.pause();
          setTimeout(() => res.resume(), 2);
        }
      });
    });
    req.end();
  });
}

/** Resident memory of a process, in MB. */
function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
}

describe.each(DATABASE_KINDS)('a 20 MB SSE backlog on %s', (kind) => {
  let app: AppServer;
  let cookie = '';

  beforeAll(async () => {
    app = await startApp({
      kind,
      env: { SSE_MAX_STREAMS_PER_USER: '20' },
      beforeStart: async (env) => {
        setDatabase(await openDatabase({ databaseUrl: env.DATABASE_URL || undefined, pgliteDir: env.PGLITE_DIR!, poolSize: 4 }));
        try {
          const user = await createUser({ email: 'backlog@example.com', password: PASSWORD });
          for (let i = 1; i <= MESSAGES; i++) {
            expect((await chatResponseService.sendInfo('task_big', user.id, content(i), data(i))).success).toBe(true);
          }
        } finally {
          await closeDatabase();
        }
      },
    });
    const browser = new Browser(app.baseUrl);
    expect(await browser.signIn('backlog@example.com', PASSWORD)).toBe(true);
    cookie = browser.cookieHeader;
  }, 600_000);
  afterAll(async () => {
    await app?.dispose();
  });

  it('replays whole and in order to one client, then to ten slow clients at once', async () => {
    const expected = Array.from({ length: MESSAGES }, (_, i) => i + 1);
    const single = await replay(app.port, cookie, false);
    expect(single.positions).toEqual(expected);
    expect(single.badContent).toBe(0);

    const pid = app.pid()!;
    const before = rssMb(pid);
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 50);
    let results: Replay[];
    try {
      results = await Promise.all(Array.from({ length: READERS }, () => replay(app.port, cookie, true)));
    } finally {
      clearInterval(sampler);
    }
    for (const result of results) {
      expect(result.positions).toEqual(expected);
      expect(result.badContent).toBe(0);
      expect(result.ready).toBe(true);
    }
    report(`20 MB backlog replay on ${kind}`, {
      messages: MESSAGES,
      'bytes per replay (MB)': (single.bytes / 1024 / 1024).toFixed(1),
      'concurrent slow readers': READERS,
      'server RSS before (MB)': before.toFixed(1),
      'server RSS peak during the ten replays (MB)': peak.toFixed(1),
      'growth (MB)': (peak - before).toFixed(1),
    });
  }, 600_000);
});
