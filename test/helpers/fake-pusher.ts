import { createHash, createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface PusherRequest {
  path: string;
  body: { name: string; channels?: string[]; channel?: string; data: string };
  signatureValid: boolean;
}

/**
 * A Pusher-protocol HTTP endpoint on loopback that checks what the SDK sends: the path,
 * the body and the REST `auth_signature`. `mode` makes it answer 200, 500, or never.
 */
export async function startFakePusher(appId: string, key: string, secret: string) {
  const requests: PusherRequest[] = [];
  let mode: 'ok' | 'fail' | 'hang' = 'ok';
  const hanging = new Set<http.ServerResponse>();

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://localhost');
      const params = [...url.searchParams.entries()].filter(([k]) => k !== 'auth_signature');
      params.sort(([a], [b]) => (a < b ? -1 : 1));
      const toSign = [req.method, url.pathname, params.map(([k, v]) => `${k}=${v}`).join('&')].join('\n');
      const expected = createHmac('sha256', secret).update(toSign).digest('hex');
      const md5 = createHash('md5').update(raw).digest('hex');
      const signatureValid =
        url.searchParams.get('auth_signature') === expected &&
        url.searchParams.get('auth_key') === key &&
        url.searchParams.get('body_md5') === md5;
      requests.push({ path: url.pathname, body: JSON.parse(raw || '{}'), signatureValid });
      if (mode === 'hang') {
        hanging.add(res);
        return;
      }
      if (mode === 'fail' || url.pathname !== `/apps/${appId}/events`) {
        res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    port,
    requests,
    setMode(next: typeof mode) {
      mode = next;
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
