import dns from 'node:dns';
import net from 'node:net';
import { Agent, fetch as undiciFetch } from 'undici';

/**
 * Keeps the server's CalDAV requests (to URLs users type) away from the server's own network:
 * loopback, private (RFC 1918, fc00::/7), link-local (169.254/16 with the cloud metadata address,
 * fe80::/10), CGNAT (100.64/10), multicast, broadcast/reserved and unspecified addresses are
 * refused, unless the operator allows private networks (CALDAV_ALLOW_PRIVATE_NETWORKS).
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

const forbidden = new net.BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], // "this network", includes the unspecified 0.0.0.0
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // CGNAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata (169.254.169.254)
  ['172.16.0.0', 12],
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, with the broadcast address
] as const) {
  forbidden.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
] as const) {
  forbidden.addSubnet(network, prefix, 'ipv6');
}

/** True for an address this server must not connect to (IPv4-mapped IPv6 judged by its IPv4). */
export function isForbiddenAddress(address: string): boolean {
  const family = net.isIP(address);
  if (family === 0) return true; // Not an address: refuse rather than guess.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return forbidden.check(mapped[1]!, 'ipv4');
  return forbidden.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** Which addresses a guard lets through; `allowsAll` skips the checks (private networks allowed). */
export interface AddressPolicy {
  allows: (address: string) => boolean;
  allowsAll?: boolean;
}

export const PUBLIC_ONLY: AddressPolicy = { allows: (address) => !isForbiddenAddress(address) };
export const ANY_ADDRESS: AddressPolicy = { allows: () => true, allowsAll: true };

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

/** `net.connect`'s lookup, refusing names with any forbidden address and returning the checked ones. */
function guardedLookup(policy: AddressPolicy) {
  return (hostname: string, options: dns.LookupOptions, callback: LookupCallback): void => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
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
