import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort } from './app-server';

/**
 * Redis for the fan-out suites. The shared suites use TEST_REDIS_URL (default the machine's
 * redis://127.0.0.1:6379, which .ci/run starts): each app only publishes and subscribes there,
 * and every test user has its own random id, so suites running side by side never see each
 * other's streams. A fault test that stops Redis starts its own server (`startRedisServer`).
 */

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** True when `url` answers PING within a second. */
export async function redisAnswers(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 1_000, retryStrategy: () => null });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/**
 * The fan-outs a stream suite runs with: PostgreSQL NOTIFY always, Redis when TEST_REDIS_URL
 * answers. In CI Redis is required, so a missing server fails instead of skipping the variant.
 */
export async function fanoutVariants(): Promise<Array<{ name: 'postgres' | 'redis'; env: Record<string, string> }>> {
  const variants: Array<{ name: 'postgres' | 'redis'; env: Record<string, string> }> = [{ name: 'postgres', env: { FANOUT: 'postgres' } }];
  if (await redisAnswers(TEST_REDIS_URL)) variants.push({ name: 'redis', env: { FANOUT: 'redis', REDIS_URL: TEST_REDIS_URL } });
  else if (process.env.CI === 'true') throw new Error(`CI needs Redis at ${TEST_REDIS_URL} for the FANOUT=redis suites`);
  return variants;
}

export interface RedisServer {
  url: string;
  port: number;
  /** Stops the server (SIGKILL: an abrupt loss, as a crash or a restart looks to its clients). */
  kill: () => Promise<void>;
  /** Starts it again on the same port, empty (no persistence). */
  start: () => Promise<void>;
}

/**
 * A redis-server of our own on a free loopback port, without persistence (`--save "" --appendonly no`),
 * so a test may kill and restart it without touching the machine's Redis.
 */
export async function startRedisServer(): Promise<RedisServer> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    const deadline = Date.now() + 15_000;
    while (!(await redisAnswers(url))) {
      if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
      if (Date.now() > deadline) throw new Error('redis-server did not answer');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const kill = async () => {
    const proc = child;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGKILL');
    await exited;
  };
  await start();
  return { url, port, kill, start };
}
