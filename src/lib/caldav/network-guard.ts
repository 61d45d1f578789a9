import dns from 'node:dns';
import net from 'node:net';
import { Agent, fetch as undiciFetch } from 'undici';

/**
 * Keeps the server's CalDAV requests (to URLs users type) away from the server's own network:
 * loopback, private (RFC 1918, fc00::/7), link-local (169.254/16 with the cloud metadata address,
 * fe80::/10), CGNAT (100.64/10), multicast, documentation, broadcast/reserved and unspecified
 * addresses, and any IPv6 address outside global unicast, are refused, unless the operator allows
 * private networks (CALDAV_ALLOW_PRIVATE_NETWORKS). IPv6 addresses that carry an IPv4 address
 * (::ffff:a.b.c.d, ::a.b.c.d, 64:ff9b::/96, 6to4, Teredo) are judged by that IPv4 address, since
 * the kernel, a NAT64 gateway or a tunnel relay would deliver them there.
 *
 * - Checked on every connection, not once: a name is resolved by the agent's own `lookup`, which
 *   refuses when any of its addresses is forbidden and hands the socket the address it checked
 *   (so DNS cannot answer differently between the check and the connect). A literal IP, which
 *   Node connects to without a lookup, is checked before the request.
 * - Redirects are followed here, hop by hop (at most MAX_REDIRECTS), each target checked like the
 *   first URL; a caller asking for `redirect: 'manual'` (tsdav's service discovery) gets the 3xx
 *   and its next request is checked in turn. Credentials are dropped on a redirect to another origin.
 */

/** The refusal: the URL's host is, or resolves to, an address this server does not connect to. */
export class ForbiddenAddressError extends Error {
  constructor(readonly host: string) {
    super(`the host ${host} is or resolves to a private, local or reserved address`);
    this.name = 'ForbiddenAddressError';
  }
}

const forbiddenIPv4 = new net.BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], // "this network", includes the unspecified 0.0.0.0
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // CGNAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata (169.254.169.254)
  ['172.16.0.0', 12],
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation (TEST-NET-1)
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation (TEST-NET-2)
  ['203.0.113.0', 24], // documentation (TEST-NET-3)
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, with the broadcast address
] as const) {
  forbiddenIPv4.addSubnet(network, prefix, 'ipv4');
}

// IPv6 is refused outside 2000::/3, the only global unicast space: that covers ::, ::1, the rest of
// ::/8, 100::/64 (discard), 64:ff9b:1::/48 (NAT64 for local use: its prefix length, and so where
// the IPv4 address sits, is the operator's choice), 5f00::/16 (SRv6), fc00::/7, fec0::/10, fe80::/10
// and ff00::/8. The forms that carry an IPv4 address are judged by it first (ipv4Carried). Inside
// 2000::/3 these are not globally routable either:
const forbiddenGlobalIPv6 = new net.BlockList();
for (const [network, prefix] of [
  ['2001::', 23], // IETF protocol assignments (Teredo, 2001::/32, is judged by its IPv4 addresses)
  ['2001:db8::', 32], // documentation
  ['3fff::', 20], // documentation
] as const) {
  forbiddenGlobalIPv6.addSubnet(network, prefix, 'ipv6');
}

/** The 16 bytes of an address `net.isIP` calls IPv6 (a zone, `%eth0`, dropped). */
function ipv6Bytes(address: string): number[] {
  let text = address.split('%')[0]!;
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const groupsOf = (part: string | undefined) => (part ? part.split(':') : []);
  const groups =
    tail === undefined
      ? groupsOf(head)
      : [...groupsOf(head), ...Array<string>(8 - groupsOf(head).length - groupsOf(tail).length).fill('0'), ...groupsOf(tail)];
  return groups.flatMap((group) => {
    const value = parseInt(group, 16);
    return [value >> 8, value & 0xff];
  });
}

const ipv4At = (bytes: number[], offset: number, mask = 0) =>
  bytes
    .slice(offset, offset + 4)
    .map((byte) => byte ^ mask)
    .join('.');
const startsWith = (bytes: number[], prefix: number[]) => prefix.every((byte, i) => bytes[i] === byte);
const ZEROS_80 = Array<number>(10).fill(0);

/**
 * The IPv4 addresses an IPv6 address carries, where a host, a translator or a tunnel would deliver
 * it to that IPv4 address; undefined for the other addresses.
 */
function ipv4Carried(bytes: number[]): string[] | undefined {
  // ::ffff:0:0/96 mapped, ::ffff:0:0:0/96 translated (SIIT), ::/96 compatible (with :: and ::1).
  if (startsWith(bytes, [...ZEROS_80, 0xff, 0xff])) return [ipv4At(bytes, 12)];
  if (startsWith(bytes, [...ZEROS_80.slice(0, 8), 0xff, 0xff, 0, 0])) return [ipv4At(bytes, 12)];
  if (startsWith(bytes, [...ZEROS_80, 0, 0])) return [ipv4At(bytes, 12)];
  // 64:ff9b::/96, the NAT64 well-known prefix (RFC 6052).
  if (startsWith(bytes, [0, 0x64, 0xff, 0x9b, ...ZEROS_80.slice(0, 8)])) return [ipv4At(bytes, 12)];
  // 2002::/16, 6to4: the IPv4 address in bits 16-47.
  if (startsWith(bytes, [0x20, 0x02])) return [ipv4At(bytes, 2)];
  // 2001:0::/32, Teredo: the server's IPv4 address in bits 32-63, the client's inverted in the last 32.
  if (startsWith(bytes, [0x20, 0x01, 0, 0])) return [ipv4At(bytes, 4), ipv4At(bytes, 12, 0xff)];
  return undefined;
}

/**
 * True for an address this server must not connect to. An IPv6 address that carries an IPv4
 * address (mapped, translated, compatible, NAT64, 6to4, Teredo) is judged by that address; other
 * IPv6 addresses must be global unicast.
 */
export function isForbiddenAddress(address: string): boolean {
  const family = net.isIP(address);
  if (family === 0) return true; // Not an address: refuse rather than guess.
  if (family === 4) return forbiddenIPv4.check(address, 'ipv4');
  const bytes = ipv6Bytes(address);
  const carried = ipv4Carried(bytes);
  if (carried) return carried.some((ipv4) => forbiddenIPv4.check(ipv4, 'ipv4'));
  if ((bytes[0]! & 0xe0) !== 0x20) return true;
  return forbiddenGlobalIPv6.check(address.split('%')[0]!, 'ipv6');
}

/** Which addresses a guard lets through; `allowsAll` skips the checks (private networks allowed). */
export interface AddressPolicy {
  allows: (address: string) => boolean;
  allowsAll?: boolean;
}

export const PUBLIC_ONLY: AddressPolicy = { allows: (address) => !isForbiddenAddress(address) };
export const ANY_ADDRESS: AddressPolicy = { allows: () => true, allowsAll: true };

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

type ResolveAll = (
  hostname: string,
  options: dns.LookupAllOptions,
  callback: (err: NodeJS.ErrnoException | null, addresses: dns.LookupAddress[]) => void,
) => void;

/**
 * `net.connect`'s lookup, refusing names with any forbidden address and returning the checked ones.
 * `resolve` is the system resolver; tests hand it the answers a hostile DNS server could give.
 */
export function guardedLookup(policy: AddressPolicy, resolve: ResolveAll = dns.lookup) {
  return (hostname: string, options: dns.LookupOptions, callback: LookupCallback): void => {
    resolve(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      if (addresses.length === 0 || addresses.some((a) => !policy.allows(a.address))) {
        return callback(Object.assign(new ForbiddenAddressError(hostname), { code: 'EFORBIDDENADDRESS' }), []);
      }
      if (options.all) return callback(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

const agents = new WeakMap<AddressPolicy, Agent>();
function agentFor(policy: AddressPolicy): Agent {
  let agent = agents.get(policy);
  if (!agent) {
    agent = new Agent({ connect: { lookup: guardedLookup(policy) } });
    agents.set(policy, agent);
  }
  return agent;
}

const hostOf = (url: URL) => url.hostname.replace(/^\[(.*)\]$/, '$1');

/** Refuses a URL whose host is a literal forbidden address (names are checked by the lookup). */
function checkLiteral(url: URL, policy: AddressPolicy): void {
  const host = hostOf(url);
  if (net.isIP(host) !== 0 && !policy.allows(host)) throw new ForbiddenAddressError(host);
}

/** The ForbiddenAddressError behind a failed fetch (undici wraps connect errors in `cause`), if any. */
export function forbiddenCause(err: unknown): ForbiddenAddressError | undefined {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = (e as Error & { cause?: unknown }).cause, depth++) {
    if (e instanceof ForbiddenAddressError) return e;
  }
  return undefined;
}

export const MAX_REDIRECTS = 5;

/**
 * A `fetch` that connects only where `policy` allows, following redirects itself (each hop checked).
 * Rejects with ForbiddenAddressError (possibly as the `cause` of a TypeError) for a refused host.
 */
export function guardedNetworkFetch(policy: AddressPolicy): typeof fetch {
  const dispatcher = policy.allowsAll ? undefined : agentFor(policy);
  const fetchImpl = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    let url = new URL(input instanceof Request ? input.url : String(input));
    let method = (init.method ?? 'GET').toUpperCase();
    let body = init.body;
    const headers = new Headers(init.headers);
    for (let hop = 0; ; hop++) {
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`unsupported protocol ${url.protocol}`);
      if (!policy.allowsAll) checkLiteral(url, policy);
      // undici's fetch takes a `dispatcher`; its Response is the same WHATWG Response at run time.
      const response = (await undiciFetch(url, {
        method,
        headers: Object.fromEntries(headers),
        body: body as never,
        signal: init.signal ?? undefined,
        redirect: 'manual',
        ...(dispatcher && { dispatcher }),
      })) as unknown as Response;
      const location = response.headers.get('location');
      if (init.redirect === 'manual' || response.status < 300 || response.status >= 400 || response.status === 304 || !location) {
        return response;
      }
      await response.arrayBuffer().catch(() => undefined);
      if (init.redirect === 'error') throw new TypeError('redirected');
      if (hop >= MAX_REDIRECTS) throw new TypeError(`more than ${MAX_REDIRECTS} redirects`);
      const next = new URL(location, url);
      if (next.origin !== url.origin) headers.delete('authorization');
      if (response.status === 303 && method !== 'HEAD') {
        method = 'GET';
        body = undefined;
        headers.delete('content-type');
      }
      url = next;
    }
  };
  return fetchImpl as typeof fetch;
}
