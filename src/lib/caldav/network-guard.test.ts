import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forbiddenCause, guardedLookup, guardedNetworkFetch, isForbiddenAddress, PUBLIC_ONLY, type AddressPolicy } from './network-guard';

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

describe('IPv6 addresses that carry an IPv4 address are judged by that IPv4 address', () => {
  // Teredo (2001:0::/32): bits 32-63 the server's IPv4, the last 32 bits the client's IPv4 XOR 0xffffffff.
  // 80ff:fffe is ~127.0.0.1, f7f7:f7f7 is ~8.8.8.8, f5ff:fffe is ~10.0.0.1; 4136:e378 is 65.54.227.120.
  it.each([
    ['::ffff:7f00:1', 'IPv4-mapped, hex form'],
    ['::ffff:a00:1', 'IPv4-mapped 10.0.0.1'],
    ['::ffff:0:127.0.0.1', 'IPv4-translated (SIIT)'],
    ['::ffff:0:a9fe:a9fe', 'IPv4-translated 169.254.169.254'],
    ['::127.0.0.1', 'IPv4-compatible (deprecated)'],
    ['::7f00:1', 'IPv4-compatible, hex form'],
    ['::a9fe:a9fe', 'IPv4-compatible 169.254.169.254'],
    ['64:ff9b::7f00:1', 'NAT64 well-known prefix'],
    ['64:ff9b::127.0.0.1', 'NAT64, dotted form'],
    ['64:ff9b::a9fe:a9fe', 'NAT64 169.254.169.254'],
    ['64:ff9b::c0a8:101', 'NAT64 192.168.1.1'],
    ['2002:7f00:1::', '6to4 of 127.0.0.1'],
    ['2002:a00:1::1', '6to4 of 10.0.0.1'],
    ['2002:a9fe:a9fe:1:2:3:4:5', '6to4 of 169.254.169.254'],
    ['2001:0:4136:e378:8000:63bf:80ff:fffe', 'Teredo, client 127.0.0.1'],
    ['2001::4136:e378:8000:63bf:f5ff:fffe', 'Teredo, client 10.0.0.1'],
    ['2001:0:a00:1:8000:63bf:f7f7:f7f7', 'Teredo, server 10.0.0.1'],
  ])('refuses %s (%s)', (address) => {
    expect(isForbiddenAddress(address)).toBe(true);
  });

  it.each([
    ['::ffff:808:808', 'IPv4-mapped 8.8.8.8'],
    ['::8.8.8.8', 'IPv4-compatible 8.8.8.8'],
    ['64:ff9b::808:808', 'NAT64 8.8.8.8'],
    ['64:ff9b::8.8.8.8', 'NAT64 8.8.8.8, dotted form'],
    ['2002:808:808::1', '6to4 of 8.8.8.8'],
    ['2001:0:4136:e378:8000:63bf:f7f7:f7f7', 'Teredo, client 8.8.8.8'],
  ])('allows %s (%s)', (address) => {
    expect(isForbiddenAddress(address)).toBe(false);
  });
});

describe('IPv6 ranges that are not globally routable are refused whatever follows', () => {
  it.each([
    ['100::', 'discard-only (100::/64)'],
    ['100::1:2:3:4', 'discard-only'],
    ['64:ff9b:1::7f00:1', 'NAT64 local-use (64:ff9b:1::/48)'],
    ['64:ff9b:1:ff::808:808', 'NAT64 local-use, whatever it embeds'],
    ['2001:db8::1', 'documentation'],
    ['2001:db8:ffff::8.8.8.8', 'documentation'],
    ['3fff::1', 'documentation (3fff::/20)'],
    ['2001:2::1', 'benchmarking, inside IETF protocol assignments (2001::/23)'],
    ['2001:1ff::1', 'IETF protocol assignments'],
    ['fec0::1', 'site-local (deprecated)'],
    ['fe80::1%eth0', 'link-local with a zone'],
    ['febf::1', 'link-local'],
    ['ff0e::1', 'global multicast'],
    ['5f00::1', 'SRv6 SIDs'],
    ['4000::1', 'unassigned (outside 2000::/3)'],
    ['1::1', 'reserved (::/8)'],
  ])('refuses %s (%s)', (address) => {
    expect(isForbiddenAddress(address)).toBe(true);
  });

  it.each(['2001:200::1', '2a00:1450:4001:80b::200e', '2606:4700:4700::1111', '2400:cb00::1'])(
    'allows the global unicast %s',
    (address) => {
      expect(isForbiddenAddress(address)).toBe(false);
    },
  );

  it.each(['192.0.2.1', '198.51.100.7', '203.0.113.9'])('refuses the IPv4 documentation address %s', (address) => {
    expect(isForbiddenAddress(address)).toBe(true);
  });
});

describe('addresses a name resolves to', () => {
  // What a hostile DNS server could answer for a name; the guard's lookup sees only these answers.
  const lookupWith = (answers: string[]) =>
    new Promise<{ code?: string; address: unknown }>((resolve) => {
      const lookup = guardedLookup(PUBLIC_ONLY, (_hostname, _options, callback) =>
        callback(
          null,
          answers.map((address) => ({ address, family: net.isIP(address) })),
        ),
      );
      lookup('calendar.example', {}, (err, address) => resolve({ code: (err as { code?: string } | null)?.code, address }));
    });

  it.each(['::ffff:7f00:1', '64:ff9b::a9fe:a9fe', '2002:a00:1::1', '2001:0:4136:e378:8000:63bf:80ff:fffe', '8.8.8.8 and ::127.0.0.1'])(
    'refuses a name resolving to %s',
    async (answers) => {
      expect(await lookupWith(answers.split(' and '))).toEqual({ code: 'EFORBIDDENADDRESS', address: [] });
    },
  );

  it('hands the connection the public address it checked', async () => {
    expect(await lookupWith(['64:ff9b::808:808'])).toEqual({ code: undefined, address: '64:ff9b::808:808' });
  });
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

  it.each([
    'http://127.0.0.1:PORT/',
    'http://localhost:PORT/',
    'http://[::1]:PORT/',
    'http://169.254.169.254/latest/meta-data/',
    'http://[::ffff:127.0.0.1]:PORT/',
    'http://[::127.0.0.1]:PORT/',
    'http://[64:ff9b::127.0.0.1]:PORT/',
    'http://[2002:7f00:1::]:PORT/',
    'http://[2001:0:4136:e378:8000:63bf:80ff:fffe]:PORT/',
  ])('refuses %s without connecting', async (template) => {
    seen.length = 0;
    const refused = await refusal(template.replace('PORT', base.split(':').at(-1)!));
    expect(refused?.name).toBe('ForbiddenAddressError');
    expect(seen).toEqual([]);
  });

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
