// The fan-out benchmark's baseline: a bare node:http SSE broadcaster, no framework, no database.
// GET /stream?user=U opens U's stream (the same headers and event format as the app's);
// POST /publish {"userId","data"} writes one `chat-message` event to U's open streams.
// Started as a child process by bench/fanout.ts; prints {"port":N} when listening.
import http from 'node:http';

const streams = new Map<string, Set<http.ServerResponse>>();
let nextId = 0;

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (req.method === 'GET' && url.pathname === '/stream') {
    const user = url.searchParams.get('user') ?? '';
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache, no-transform', 'x-accel-buffering': 'no' });
    res.write('retry: 2000\n\n');
    res.write(`event: ready\ndata: {"position":0}\n\n`);
    let set = streams.get(user);
    if (!set) streams.set(user, (set = new Set()));
    set.add(res);
    const heartbeat = setInterval(() => res.write(': hb\n\n'), 15_000);
    req.on('close', () => {
      clearInterval(heartbeat);
      set.delete(res);
      if (set.size === 0) streams.delete(user);
    });
    return;
  }
  if (req.method === 'POST' && url.pathname === '/publish') {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const { userId, data } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { userId: string; data: unknown };
      const id = ++nextId;
      const frame = `id: ${id}\nevent: chat-message\ndata: ${JSON.stringify(data)}\n\n`;
      for (const res of streams.get(userId) ?? []) res.write(frame);
      res.writeHead(204).end();
    });
    return;
  }
  res.writeHead(404).end();
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address() as { port: number };
  console.log(JSON.stringify({ port: address.port }));
});
process.on('SIGTERM', () => process.exit(0));
