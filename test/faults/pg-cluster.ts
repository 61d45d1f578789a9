import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * A throw-away PostgreSQL server of our own (initdb into a temp directory, pg_ctl on a free
 * loopback port), so a fault test can stop and start it without touching the shared server on
 * 5432. PostgreSQL refuses to run as root: when we are root, every binary runs as the `postgres`
 * OS user (runuser) on a directory chown'd to it.
 */

const run = promisify(execFile);

const PG_BIN_CANDIDATES = [process.env.PG_BIN, '/usr/lib/postgresql/15/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/17/bin'];

/** The directory holding initdb and pg_ctl. */
export function pgBinDir(): string {
  for (const dir of PG_BIN_CANDIDATES) {
    if (dir && fs.existsSync(path.join(dir, 'pg_ctl'))) return dir;
  }
  throw new Error('initdb/pg_ctl not found: set PG_BIN to the PostgreSQL bin directory (e.g. /usr/lib/postgresql/15/bin)');
}

/**
 * True when initdb and pg_ctl are available (the fault suite is skipped otherwise). In CI it is
 * always true, so missing binaries fail the run instead of skipping it silently.
 */
export function hasPgBinaries(): boolean {
  if (process.env.CI) return true;
  try {
    pgBinDir();
    return true;
  } catch {
    return false;
  }
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** argv for running a PostgreSQL binary, as `postgres` when we are root. */
function asPgUser(bin: string, args: string[]): [string, string[]] {
  const full = path.join(pgBinDir(), bin);
  return isRoot ? ['runuser', ['-u', 'postgres', '--', full, ...args]] : [full, args];
}

async function pg(bin: string, args: string[], timeoutMs = 60_000): Promise<string> {
  const [cmd, argv] = asPgUser(bin, args);
  const { stdout } = await run(cmd, argv, { timeout: timeoutMs, cwd: os.tmpdir() });
  return stdout;
}

/** A free TCP port on loopback. */
export async function freeLoopbackPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface PgCluster {
  port: number;
  /** The data directory's parent (data/, the log file and the socket directory live in it). */
  dir: string;
  /** `postgresql://postgres@127.0.0.1:<port>/<database>` (default `postgres`). */
  url: (database?: string) => string;
  /** Stops the server (`fast`: disconnects clients and checkpoints; `immediate`: like a crash). */
  stop: (mode?: 'fast' | 'immediate') => Promise<void>;
  /** Starts it again on the same port and data. */
  start: () => Promise<void>;
  running: () => boolean;
  /** The server log so far (for failure messages). */
  log: () => string;
  /** Stops the server and deletes everything. */
  destroy: () => Promise<void>;
}

export interface PgClusterOptions {
  /** Extra `-c name=value` settings. */
  settings?: Record<string, string | number>;
}

const live = new Set<{ data: string; dir: string }>();
let exitHookInstalled = false;

/** Stops every server this process started and deletes its directory (synchronously: used on exit). */
function cleanUpAll(): void {
  for (const { data, dir } of live) {
    try {
      const [cmd, argv] = asPgUser('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      execFileSync(cmd, argv, { stdio: 'ignore', timeout: 20_000 });
    } catch {
      // Not running.
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
  live.clear();
}

/**
 * A crashed or interrupted run must not leave servers behind: on exit, and on SIGINT/SIGTERM
 * (which end a process without its exit handlers), every server still running is stopped.
 */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', cleanUpAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      cleanUpAll();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }
}

/** initdb + pg_ctl start on a free loopback port; trust auth for user `postgres`, loopback only. */
export async function startPgCluster(options: PgClusterOptions = {}): Promise<PgCluster> {
  installExitHook();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-pg-'));
  const data = path.join(dir, 'data');
  const logFile = path.join(dir, 'postgres.log');
  if (isRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    fs.chownSync(dir, uid, gid);
  }
  fs.chmodSync(dir, 0o700);
  await pg('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
  const port = await freeLoopbackPort();
  const settings: Record<string, string | number> = {
    port,
    listen_addresses: '127.0.0.1',
    unix_socket_directories: dir,
    max_connections: 200,
    ...options.settings,
  };
  const serverOptions = Object.entries(settings)
    .map(([k, v]) => `-c ${k}=${v}`)
    .join(' ');
  let running = false;
  const entry = { data, dir };
  live.add(entry);

  const start = async () => {
    await pg('pg_ctl', ['-D', data, '-l', logFile, '-o', serverOptions, '-w', '-t', '60', 'start']);
    running = true;
  };
  const stop = async (mode: 'fast' | 'immediate' = 'fast') => {
    if (!running) return;
    await pg('pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '60', 'stop']);
    running = false;
  };
  await start();
  return {
    port,
    dir,
    url: (database = 'postgres') => `postgresql://postgres@127.0.0.1:${port}/${database}`,
    stop,
    start,
    running: () => running,
    log: () => {
      try {
        return fs.readFileSync(logFile, 'utf8').slice(-10_000);
      } catch {
        return '';
      }
    },
    destroy: async () => {
      try {
        await stop('immediate');
      } finally {
        live.delete(entry);
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
