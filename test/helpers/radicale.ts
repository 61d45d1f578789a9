import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './app-server';

// A real CalDAV server for the tests: Debian's Radicale (`apt-get install radicale`, done by .ci/run),
// started as a child process on a free 127.0.0.1 port with a temporary storage folder and an
// htpasswd file. Debian's Radicale has no passlib/bcrypt, so the htpasswd file is plain text
// (`htpasswd_encryption = plain`), which is fine for a throwaway test server.

const RADICALE = '/usr/bin/radicale';

export interface RadicaleServer {
  /** Base URL, e.g. http://127.0.0.1:41234/ */
  url: string;
  port: number;
  /** Adds or replaces a user's password in the htpasswd file (Radicale reads it on each request). */
  setPassword: (username: string, password: string) => void;
  /** Kills the server (an outage): connections are refused until `start`. */
  stop: () => Promise<void>;
  /** Starts it again on the same port and storage (nothing when it runs). */
  start: () => Promise<void>;
  /** Stops it and removes its folder. */
  close: () => Promise<void>;
  logs: () => string;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function killOnExit(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const proc of running) proc.kill('SIGKILL');
  });
}

/** Starts Radicale with `users` (name -> password); resolves once it answers HTTP. */
export async function startRadicale(users: Record<string, string>): Promise<RadicaleServer> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'radicale-'));
  const htpasswd = path.join(dir, 'users');
  const config = path.join(dir, 'config');
  const passwords = new Map(Object.entries(users));
  const writeUsers = () => fs.writeFileSync(htpasswd, [...passwords].map(([u, p]) => `${u}:${p}`).join('\n') + '\n', { mode: 0o600 });
  writeUsers();
  fs.writeFileSync(
    config,
    [
      '[server]',
      `hosts = 127.0.0.1:${port}`,
      '[auth]',
      'type = htpasswd',
      `htpasswd_filename = ${htpasswd}`,
      'htpasswd_encryption = plain',
      // Radicale sleeps this long after a failed login by default; tests try wrong passwords.
      'delay = 0',
      '[storage]',
      `filesystem_folder = ${path.join(dir, 'collections')}`,
      '[rights]',
      'type = owner_only',
      '[logging]',
      'level = warning',
      'mask_passwords = True',
      '[web]',
      'type = none',
    ].join('\n'),
  );

  let child: ChildProcess | undefined;
  let output = '';
  const logs = () => output;

  const start = async () => {
    if (child && child.exitCode === null && child.signalCode === null) return; // already running
    const proc = spawn(RADICALE, ['--config', config], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HOME: dir } });
    child = proc;
    killOnExit(proc);
    proc.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`radicale exited:\n${output}`);
      try {
        const response = await fetch(`http://127.0.0.1:${port}/.well-known/caldav`, { redirect: 'manual' });
        await response.arrayBuffer();
        return;
      } catch {
        // Not listening yet.
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`radicale did not start:\n${output}`);
  };

  const stop = async () => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGKILL');
    await exited;
  };

  await start();
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    setPassword: (username, password) => {
      passwords.set(username, password);
      writeUsers();
    },
    stop,
    start,
    close: async () => {
      await stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
    logs,
  };
}
