import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ensureBuilt } from '@test/helpers/build';
import { freeLoopbackPort } from '../../test/faults/pg-cluster';
import { BENCH_AUTH_SECRET, ROOT } from './common';

const SERVER_ENTRY = path.join(ROOT, 'src/server/index.ts');

export interface BenchApp {
  baseUrl: string;
  port: number;
  child: ChildProcess;
  /** Peak and current resident set size of the server process, in bytes (from /proc). */
  rss: () => number;
  logs: () => string;
  /** SIGTERM (lets `--cpu-prof` write its profile), then SIGKILL after 15 s. */
  stop: () => Promise<void>;
}

/**
 * The app's Node entry (`npm start`) serving the production build on 127.0.0.1 with a PostgreSQL DATABASE_URL. With
 * `cpuProfDir` the server runs under `node --cpu-prof` and writes its profile there on exit.
 */
export async function startBenchApp(options: {
  databaseUrl: string;
  env?: Record<string, string>;
  cpuProfDir?: string;
}): Promise<BenchApp> {
  await ensureBuilt();
  const port = await freeLoopbackPort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const nodeArgs = options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`] : [];
  if (options.cpuProfDir) fs.mkdirSync(options.cpuProfDir, { recursive: true });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    NEXT_TELEMETRY_DISABLED: '1',
    NEXTAUTH_SECRET: BENCH_AUTH_SECRET,
    NEXTAUTH_URL: baseUrl,
    LOG_LEVEL: 'warn',
    BENCH_ROUTES: 'true',
    DATABASE_URL: options.databaseUrl,
    ...options.env,
  };
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', SERVER_ENTRY], {
    env: { ...env, PORT: String(port), HOSTNAME: '127.0.0.1' },
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-50_000)));
  child.stderr!.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-50_000)));
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`app exited with ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) throw new Error(`app did not become ready:\n${output}`);
    try {
      if ((await fetch(`${baseUrl}/api/auth/csrf`)).ok) break;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    baseUrl,
    port,
    child,
    rss: () => processRss(child.pid!),
    logs: () => output,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Resident set size of a process in bytes (Linux /proc), 0 when unknown. */
export function processRss(pid: number): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(status.match(/^VmRSS:\s+(\d+)\s+kB/m)?.[1] ?? 0);
    return kb * 1024;
  } catch {
    return 0;
  }
}

/** CPU time (user + system) a process has used so far, in milliseconds (Linux /proc), 0 when unknown. */
export function processCpuMs(pid: number): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime are fields 14 and 15 of stat, 12 and 13 after the command name.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return 0;
  }
}
