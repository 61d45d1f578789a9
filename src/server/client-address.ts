import type { IncomingMessage } from 'node:http';

/**
 * The header through which our Node entry tells the app the client's address. Next.js route
 * handlers never see the socket, so without it every anonymous client shared one budget, and one
 * client could spend it for everyone. A value sent by the client itself is always overwritten.
 */
export const CLIENT_ADDRESS_HEADER = 'x-chat-client-address';

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
