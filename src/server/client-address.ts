import type { IncomingMessage } from 'node:http';
import { CLIENT_ADDRESS_HEADER } from '@/lib/rate-limit/client-address-header';

export { CLIENT_ADDRESS_HEADER };

/**
 * Sets `CLIENT_ADDRESS_HEADER` from the socket's address, or, with `trustProxy`, from the last
 * `X-Forwarded-For` entry (the one our own reverse proxy appended; earlier entries are the
 * client's to forge).
 */
export function setClientAddressHeader(req: IncomingMessage, trustProxy: boolean): void {
  let address = req.socket.remoteAddress ?? 'unknown';
  if (trustProxy) {
    const forwarded = req.headers['x-forwarded-for'];
    const last = (Array.isArray(forwarded) ? forwarded.join(',') : (forwarded ?? '')).split(',').at(-1)?.trim();
    if (last) address = last;
  }
  // IPv4 clients on a dual-stack socket appear as ::ffff:a.b.c.d; one client, one key.
  req.headers[CLIENT_ADDRESS_HEADER] = address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
}
