import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forbiddenCause, guardedNetworkFetch, isForbiddenAddress, PUBLIC_ONLY, type AddressPolicy } from './network-guard';

// The SSRF guard of CalDAV requests, against a real HTTP server on 127.0.0.1. To reach that
// server at all, the redirect tests use a policy that allows 127.0.0.1 only (and nothing else).

describe('which addresses the CalDAV guard refuses', () => {
  it.each([
    '127.0.0.1',
    '127.8.9.10',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '100.127.255.255',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '::',
    '::1',
    'fc00::1',
    'fd12:3456::1',
    'fe80::1',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:169.254.169.254',
  ])('refuses %s', (address) => {
    expect(isForbiddenAddress(address)).toBe(true);
  });

  it.each(['8.8.8.8', '1.1.1.1', '100.63.255.255', '100.128.0.1', '172.32.0.1', '2001:4860:4860::8888', '::ffff:8.8.8.8'])(
    'allows the public address %s',
    (address) => {
      expect(isForbiddenAddress(address)).toBe(false);
    },
  );
});

describe('guarded CalDAV fetch', () => {
  let server: http.Server;
  let base: string;
  const seen: string[] = [];
  const onlyThisServer: AddressPolicy = { allows: (address) => address === '127.0.0.1' };

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers.authorization ?? '-'}`);
      const to = new URL(req.url!, 'http://x').searchParams.get('to');
      if (to) {
        res.writeHead(307, { Location: to }).end();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  async function refusal(url: string, policy: AddressPolicy = PUBLIC_ONLY) {
    const err = await guardedNetworkFetch(policy)(url).then(
      () => undefined,
      (e: unknown) => e,
    );
    return forbiddenCause(err);
  }

  it.each(['http://127.0.0.1:PORT/', 'http://localhost:PORT/', 'http://[::1]:PORT/', 'http://169.254.169.254/latest/meta-data/'])(
    'refuses %s without connecting',
    async (template) => {
      seen.length = 0;
      const refused = await refusal(template.replace('PORT', base.split(':').at(-1)!));
      expect(refused?.name).toBe('ForbiddenAddressError');
      expect(seen).toEqual([]);
    },
  );

  it('follows a redirect to an allowed address, re-checking the target', async () => {
    seen.length = 0;
    const response = await guardedNetworkFetch(onlyThisServer)(`${base}/start?to=${encodeURIComponent(`${base}/end`)}`, {
      method: 'PROPFIND',
      headers: { Authorization: 'Basic abc' },
    });
    expect(response.status).toBe(200);
    expect(seen).toEqual([`PROPFIND /start?to=${encodeURIComponent(`${base}/end`)} Basic abc`, 'PROPFIND /end Basic abc']);
  });

  it.each(['http://169.254.169.254/latest/meta-data/', 'http://[::1]:9/', 'http://10.0.0.1/'])(
    'refuses a redirect to %s',
    async (target) => {
      const refused = await refusal(`${base}/start?to=${encodeURIComponent(target)}`, onlyThisServer);
      expect(refused?.name).toBe('ForbiddenAddressError');
    },
  );

  it('hands a 3xx back untouched when the caller asks for manual redirects (its next request is checked again)', async () => {
    const response = await guardedNetworkFetch(onlyThisServer)(`${base}/start?to=${encodeURIComponent('http://10.0.0.1/')}`, {
      redirect: 'manual',
    });
    expect(response.status).toBe(307);
    expect(await refusal('http://10.0.0.1/', onlyThisServer)).toBeDefined();
  });
});
