import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request a receiver got: its headers and raw body, as the sender wrote them. */
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * What the receiver does with a request: answer a status, or `hang` (never answer; the sender's
 * timeout or death ends it). Called with every request and the ones before it.
 */
export type Reply = (request: ReceivedRequest, earlier: ReceivedRequest[]) => number | 'hang';

export interface WebhookReceiver {
  url: string;
  requests: ReceivedRequest[];
  /** Replaces how the receiver answers from now on. */
  setReply: (reply: Reply) => void;
  close: () => Promise<void>;
}

/** A real HTTP server on loopback (a free port) that records every request and answers as told (default 200). */
export async function startWebhookReceiver(reply: Reply = () => 200): Promise<WebhookReceiver> {
  let current = reply;
  const requests: ReceivedRequest[] = [];
  const hanging = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const received = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      const earlier = requests.slice();
      requests.push(received);
      const answer = current(received, earlier);
      if (answer === 'hang') {
        hanging.add(res);
        return;
      }
      res.writeHead(answer, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: answer < 300 }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/escalations`,
    requests,
    setReply: (next) => (current = next),
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
