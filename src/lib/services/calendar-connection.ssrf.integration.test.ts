import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CalDavError } from '@/lib/caldav/caldav-client';
import { resetEnvCache } from '@/lib/config/env';
import type { Database } from '@/lib/db/client';
import { calendarConnections, users } from '@/lib/db/schema';
import { AppError } from '@/lib/errors/app-error';
import * as connectionService from './calendar-connection.service';
import { providerFor } from './calendar-provider';
import { startRadicale, type RadicaleServer } from '@test/helpers/radicale';
import { radicaleAccount, useCalDavEnv } from '@test/helpers/radicale-calendar';
import { DATABASE_KINDS, useFreshDatabase } from '@test/helpers/test-db';

// The server fetches the CalDAV URL a user types: without CALDAV_ALLOW_PRIVATE_NETWORKS it must
// not reach loopback, private or link-local addresses, not when connecting and not when using a
// stored connection. A real Radicale listens on 127.0.0.1, so each refusal is of a live server.

const PASSWORD = 'radicale-ssrf-pass';

describe.each(DATABASE_KINDS)('CalDAV URLs on private networks on %s', (kind) => {
  let database: Database;
  let teardown: () => Promise<void>;
  let radicale: RadicaleServer;
  let userId: string;
  let username: string;

  const setAllowPrivate = (allowed: boolean) => {
    if (allowed) process.env.CALDAV_ALLOW_PRIVATE_NETWORKS = 'true';
    else delete process.env.CALDAV_ALLOW_PRIVATE_NETWORKS;
    resetEnvCache();
  };

  let restoreEnv: () => void;

  beforeAll(async () => {
    restoreEnv = useCalDavEnv({ allowPrivate: false });
    ({ database, teardown } = await useFreshDatabase(kind));
    radicale = await startRadicale({});
  });
  afterAll(async () => {
    await teardown();
    await radicale?.close();
    restoreEnv();
  });
  beforeEach(async () => {
    setAllowPrivate(false);
    await database.db.execute(sql`TRUNCATE calendar_connections, users CASCADE`);
    const [user] = await database.db.insert(users).values({ email: 'ana@example.com', passwordHash: 'x' }).returning();
    userId = user!.id;
    ({ username } = await radicaleAccount(radicale, { password: PASSWORD, prefix: 's' }));
  });

  const port = () => new URL(radicale.url).port;
  const refusal = (url: string) =>
    connectionService.connect(userId, { url, username, password: PASSWORD }).then(
      () => undefined,
      (err: unknown) => err,
    );

  it.each([
    ['127.0.0.1', () => `http://127.0.0.1:${port()}/`],
    ['localhost (a name resolving to loopback)', () => `http://localhost:${port()}/`],
    ['[::1]', () => `http://[::1]:${port()}/`],
    ['169.254.169.254 (cloud metadata)', () => 'http://169.254.169.254/'],
    ['10.0.0.1 (RFC 1918)', () => 'http://10.0.0.1/'],
    ['[::ffff:127.0.0.1] (IPv4-mapped)', () => `http://[::ffff:127.0.0.1]:${port()}/`],
    ['[::127.0.0.1] (IPv4-compatible)', () => `http://[::127.0.0.1]:${port()}/`],
    ['[64:ff9b::7f00:1] (NAT64 of 127.0.0.1)', () => `http://[64:ff9b::7f00:1]:${port()}/`],
    ['[2002:7f00:1::] (6to4 of 127.0.0.1)', () => `http://[2002:7f00:1::]:${port()}/`],
    ['[2001:0:4136:e378:8000:63bf:80ff:fffe] (Teredo, client 127.0.0.1)', () => `http://[2001:0:4136:e378:8000:63bf:80ff:fffe]:${port()}/`],
    ['[64:ff9b:1::1] (NAT64 local-use)', () => `http://[64:ff9b:1::1]:${port()}/`],
  ])('refuses %s with 400 naming url, storing nothing', async (_, url) => {
    const err = await refusal(url());
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('invalid_input');
    expect((err as AppError).message).toMatch(/^url: .*private/);
    expect(await database.db.select().from(calendarConnections)).toEqual([]);
  });

  it('connects the same loopback server when the operator allows private networks', async () => {
    setAllowPrivate(true);
    const connected = await connectionService.connect(userId, { url: radicale.url, username, password: PASSWORD });
    expect(connected).toMatchObject({ connected: true, status: 'connected' });
  });

  it('re-checks on every use: a stored connection whose address is now refused fails without reaching the server', async () => {
    setAllowPrivate(true);
    await connectionService.connect(userId, { url: radicale.url, username, password: PASSWORD });
    const now = new Date();
    await (await providerFor(userId)).busy(now, new Date(now.getTime() + 3_600_000));
    setAllowPrivate(false);
    const err = await (await providerFor(userId)).busy(now, new Date(now.getTime() + 3_600_000)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CalDavError);
    expect((err as CalDavError).kind).toBe('forbidden_address');
    expect((await connectionService.describe(userId)) as { status: string }).toMatchObject({ status: 'unreachable' });
  });
});
