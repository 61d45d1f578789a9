import { spawn, execFile, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { buildEnv, DEFAULT_BUILD, ensureBuilt, type BuildVariant } from './build';
import { createScratchPostgres, type DatabaseKind } from './test-db';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SERVER_ENTRY = path.join(ROOT, 'src/server/index.ts');
const TSX_BIN = path.join(ROOT, 'node_modules/tsx/dist/cli.mjs');

export const TEST_AUTH_SECRET = 'test-secret-0123456789abcdef0123456789';

/** Whether `port` can be bound on loopback right now. */
async function canBind(port: number): Promise<boolean> {
  const server = net.createServer();
  const bound = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => resolve(true));
  });
  if (bound) await new Promise<void>((resolve) => server.close(() => resolve()));
  return bound;
}

/** Ports each vitest worker picks from: below Linux's ephemeral range (32768-60999), one block per worker. */
const PORTS_PER_WORKER = 2_000;
const FIRST_WORKER_PORT = 20_000;

/**
 * A free TCP port on loopback for a server a test starts. A port is only known free until someone
 * binds it, and test files run in parallel workers: two workers asking the kernel for "any port"
 * and handing it to a child that binds it seconds later could both get the same one, and a test
 * would then talk to another file's server. So each worker (VITEST_POOL_ID) takes ports from a block
 * of its own, below the kernel's ephemeral range (which clients and `listen(0)` draw from), and
 * checks the port binds; outside vitest the kernel picks.
 */
export async function freePort(): Promise<number> {
  const worker = Number(process.env.VITEST_POOL_ID);
  if (Number.isInteger(worker) && worker > 0) {
    const base = FIRST_WORKER_PORT + ((worker - 1) % 6) * PORTS_PER_WORKER;
    for (let attempt = 0; attempt < 200; attempt++) {
      const port = base + Math.floor(Math.random() * PORTS_PER_WORKER);
      if (await canBind(port)) return port;
    }
    throw new Error(`no free loopback port in ${base}-${base + PORTS_PER_WORKER - 1}`);
  }
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface AppServer {
  baseUrl: string;
  port: number;
  /** The environment the app runs with (DATABASE_URL or PGLITE_DIR included), for CLIs. */
  env: NodeJS.ProcessEnv;
  kind: DatabaseKind;
  /** Stops the server (SIGTERM, then SIGKILL) and keeps the database. */
  stop: () => Promise<void>;
  /** Starts the server again on the same port and database. */
  restart: () => Promise<void>;
  /** Stops the server and drops the database. */
  dispose: () => Promise<void>;
  logs: () => string;
  /** The running server's process id (to read its memory from /proc), undefined when stopped. */
  pid: () => number | undefined;
}

/** Runs one of the project's CLIs (`scripts/<name>.ts`) and returns its parsed JSON output and exit code. */
export async function runCli(
  env: NodeJS.ProcessEnv,
  script: string,
  args: string[],
): Promise<{ code: number; output: Record<string, unknown> }> {
  const result = await run(process.execPath, [TSX_BIN, path.join(ROOT, 'scripts', script), ...args], { env, cwd: ROOT }).then(
    ({ stdout }) => ({ code: 0, stdout }),
    (err: { code: number; stdout: string }) => ({ code: err.code, stdout: err.stdout }),
  );
  return { code: result.code, output: JSON.parse(result.stdout) as Record<string, unknown> };
}

async function waitUntilReady(baseUrl: string, child: ChildProcess, logs: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`app exited with ${child.exitCode}:\n${logs()}`);
    try {
      const response = await fetch(`${baseUrl}/api/auth/csrf`);
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  throw new Error(`app did not become ready:\n${logs()}`);
}

/**
 * Starts the built app (our Node entry, as `npm start`, loopback only) on a fresh database of `kind`:
 * a scratch PostgreSQL database next to TEST_DATABASE_URL, or a temporary PGlite directory.
 * `beforeStart` runs while no server holds the database (CLIs on PGlite must run then).
 */
export async function startApp(options: {
  kind: DatabaseKind;
  env?: Record<string, string>;
  /** Which build to serve (and make if needed); its NEXT_PUBLIC_* are set at run time too, as they must match. */
  build?: BuildVariant;
  beforeStart?: (env: NodeJS.ProcessEnv) => Promise<void>;
}): Promise<AppServer> {
  const build = options.build ?? DEFAULT_BUILD;
  await ensureBuilt(build);
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const scratch = options.kind === 'postgres' ? await createScratchPostgres() : undefined;
  const pgliteDir = options.kind === 'pglite' ? path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'chat-app-')), 'db') : undefined;
  // Browser settings only from the build variant, as the build got them.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('NEXT_PUBLIC_')));
  const env: NodeJS.ProcessEnv = {
    ...inherited,
    NODE_ENV: 'production',
    NEXT_TELEMETRY_DISABLED: '1',
    NEXTAUTH_SECRET: TEST_AUTH_SECRET,
    NEXTAUTH_URL: baseUrl,
    LOG_LEVEL: process.env.APP_LOG_LEVEL ?? 'warn',
    DATABASE_URL: scratch?.url ?? '',
    PGLITE_DIR: pgliteDir ?? '',
    ...buildEnv(build),
    ...options.env,
  };
  if (options.beforeStart) await options.beforeStart(env);

  let child: ChildProcess | undefined;
  let output = '';
  const logs = () => output.slice(-20_000);
  const start = async () => {
    output = '';
    // The app's own Node entry (as `npm start`), on loopback only.
    child = spawn(process.execPath, ['--import', 'tsx', SERVER_ENTRY], {
      env: { ...env, PORT: String(port), HOSTNAME: '127.0.0.1' },
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    await waitUntilReady(baseUrl, child, logs);
  };
  const stop = async () => {
    const proc = child;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  await start();
  return {
    baseUrl,
    port,
    env,
    kind: options.kind,
    stop,
    restart: start,
    logs,
    pid: () => (child && child.exitCode === null ? child.pid : undefined),
    dispose: async () => {
      await stop();
      await scratch?.drop();
      if (pgliteDir) fs.rmSync(path.dirname(pgliteDir), { recursive: true, force: true });
    },
  };
}
