import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './app-server';

// A real Pusher-protocol server for the tests: Soketi (a devDependency; its uWebSockets.js comes from
// @trufflesuite/uws-js-unofficial through the `overrides` alias in package.json), run as a child
// process of the suite so a test can stop it, freeze it, or start it again on the same port.

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SOKETI_BIN = path.join(ROOT, 'node_modules/@soketi/soketi/bin/server.js');

export interface PusherServerOptions {
  appId?: string;
  key?: string;
  secret?: string;
  /**
   * Soketi's per-app quota of events the HTTP API accepts per second; -1 is unlimited.
   * 0 makes Soketi refuse every trigger with 429, a real Pusher-protocol server answering an error.
   */
  maxBackendEventsPerSecond?: number;
  /**
   * How long a connection may go without signing in (`pusher:signin`) before the server closes it
   * (code 4009). User authentication is enforced, as the README requires of a production server.
   */
  userAuthenticationTimeoutMs?: number;
}

export interface PusherServer {
  host: string;
  port: number;
  appId: string;
  key: string;
  secret: string;
  /** The PUSHER_* environment that points the app's server side at this server. */
  env: Record<string, string>;
  /** Kills the server (SIGKILL, an outage rather than a drain): connections are refused until `restart`. */
  stop: () => Promise<void>;
  /** Starts the server again on the same ports, optionally with other app settings. */
  restart: (options?: Pick<PusherServerOptions, 'maxBackendEventsPerSecond'>) => Promise<void>;
  /** Freezes the process (SIGSTOP): the kernel still accepts connections, nothing ever answers. */
  pause: () => void;
  /** Thaws a paused server (SIGCONT). */
  resume: () => void;
  logs: () => string;
}

/** A free UDP port on loopback, for Soketi's cluster discovery. */
async function freeUdpPort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

async function waitUntilReady(url: string, child: ChildProcess, logs: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`soketi exited (${child.exitCode ?? child.signalCode}):\n${logs()}`);
    }
    try {
      const response = await fetch(url);
      if (response.ok && (await response.text()) === 'OK') return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`soketi did not become ready:\n${logs()}`);
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

/** A suite that dies without its afterAll must not leave a Soketi (possibly SIGSTOPped) behind. */
function killOnExit(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const proc of running) proc.kill('SIGKILL');
  });
}

/**
 * Starts Soketi on 127.0.0.1 with one app: the WebSocket + HTTP API port, the metrics/usage port
 * and the UDP cluster discovery all bound to loopback on free ports (discovery talks only to itself).
 * Resolves once `/ready` answers.
 */
export async function startPusherServer(options: PusherServerOptions = {}): Promise<PusherServer> {
  const host = '127.0.0.1';
  const appId = options.appId ?? '4242';
  const key = options.key ?? 'test-key';
  const secret = options.secret ?? 'test-secret';
  const port = await freePort();
  const metricsPort = await freePort();
  const discoveryPort = await freeUdpPort();
  // Its own cwd: Soketi loads `.env` from the working directory through dotenv.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'soketi-'));
  const configPath = path.join(dir, 'soketi.json');

  const writeConfig = (maxBackendEventsPerSecond: number) => {
    fs.mkdirSync(dir, { recursive: true });
    // Keys are Soketi option paths (its --config file is applied with dot-notation setters).
    const config = {
      host,
      port,
      'metrics.enabled': false,
      'metrics.host': host,
      'metrics.port': metricsPort,
      'cluster.address': host,
      'cluster.hostname': host,
      'cluster.port': discoveryPort,
      'cluster.unicast': `${host}:${discoveryPort}`,
      userAuthenticationTimeout: options.userAuthenticationTimeoutMs ?? 30_000,
      'appManager.array.apps': [
        {
          id: appId,
          key,
          secret,
          maxConnections: -1,
          enableClientMessages: false,
          // Connections that never sign in are closed: only signed-in ones can be terminated.
          enableUserAuthentication: true,
          enabled: true,
          maxBackendEventsPerSecond,
          maxClientEventsPerSecond: -1,
          maxReadRequestsPerSecond: -1,
          webhooks: [],
        },
      ],
    };
    fs.writeFileSync(configPath, JSON.stringify(config));
  };

  // Only what Soketi needs from the parent: SOKETI_* variables would override the config file.
  // UWS_USE_FALLBACK=1 runs uWebSockets.js's pure-Node fallback, which is what a Node without a
  // prebuilt binary in @trufflesuite/uws-js-unofficial (e.g. Node 24, ABI 137) loads anyway.
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production' };
  if (process.env.UWS_USE_FALLBACK) env.UWS_USE_FALLBACK = process.env.UWS_USE_FALLBACK;
  let child: ChildProcess | undefined;
  let output = '';
  const logs = () => output.slice(-20_000);

  // Soketi's uWebSockets.js binary exists for Node 20's ABI only (the package ships none for Node
  // 22 or 24, and its pure-Node fallback drops every WebSocket). When the suite itself runs on
  // another Node (CI's Node 24 pass), SOKETI_NODE names a Node 20 to run the server with: it is a
  // separate process, a third-party server like PostgreSQL, so its runtime is its own.
  const nodeBinary = process.env.SOKETI_NODE || process.execPath;

  const start = async (maxBackendEventsPerSecond: number) => {
    writeConfig(maxBackendEventsPerSecond);
    output = '';
    const proc = spawn(nodeBinary, [SOKETI_BIN, 'start', `--config=${configPath}`], {
      env,
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    killOnExit(proc);
    proc.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    proc.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    await waitUntilReady(`http://${host}:${port}/ready`, proc, logs);
  };

  const stop = async () => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGKILL');
    await exited;
    fs.rmSync(dir, { recursive: true, force: true });
  };

  let quota = options.maxBackendEventsPerSecond ?? -1;
  await start(quota);
  return {
    host,
    port,
    appId,
    key,
    secret,
    env: {
      PUSHER_APP_ID: appId,
      PUSHER_KEY: key,
      PUSHER_SECRET: secret,
      PUSHER_CLUSTER: 'mt1',
      PUSHER_HOST: host,
      PUSHER_PORT: String(port),
      PUSHER_USE_TLS: 'false',
    },
    stop: async () => {
      await stop();
    },
    restart: async (next) => {
      await stop();
      quota = next?.maxBackendEventsPerSecond ?? quota;
      await start(quota);
    },
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
    logs,
  };
}
