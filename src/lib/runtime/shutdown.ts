import { processGlobal } from './process-global';

/**
 * One shutdown registry per process. Parts that hold something open (SSE streams, the in-process
 * worker, the fan-out listener, the database) register a hook; the first SIGTERM or SIGINT runs
 * every hook once, in phase order, each phase awaited before the next: streams are told to
 * reconnect elsewhere first, then jobs in hand finish, then connections close.
 *
 * Whether the process then exits is the entry's decision (`exitAfterShutdown`): the worker CLI and
 * our own server entry exit when the hooks are done; under `next start` Next.js's own signal
 * handler owns the exit. Before this registry each part installed its own signal hook, and one
 * of them re-raising the signal could end the process before the worker's job was finished.
 */
export type ShutdownPhase = 'streams' | 'work' | 'connections';
const PHASES: ShutdownPhase[] = ['streams', 'work', 'connections'];

interface Hook {
  name: string;
  phase: ShutdownPhase;
  run: () => void | Promise<void>;
}

interface Registry {
  hooks: Map<string, Hook>;
  installed: boolean;
  exitAfter: boolean;
  running?: Promise<void>;
}

const registry = processGlobal<Registry>('shutdown');
const state = (): Registry => registry.getOrCreate(() => ({ hooks: new Map(), installed: false, exitAfter: false }));

/**
 * Registers (or replaces, by name) a hook run once at shutdown. Installs the signal handlers on
 * first use.
 */
export function onShutdown(name: string, phase: ShutdownPhase, run: () => void | Promise<void>): void {
  const current = state();
  current.hooks.set(name, { name, phase, run });
  installSignalHandlers();
}

/** Removes a hook (its part closed by itself). */
export function offShutdown(name: string): void {
  state().hooks.delete(name);
}

/** Entries that own the process (worker CLI, our Node server) exit once every hook has run. */
export function exitAfterShutdown(exit = true): void {
  state().exitAfter = exit;
  installSignalHandlers();
}

/** Runs every registered hook once, phase by phase; a failing hook does not stop the others. */
export function runShutdown(): Promise<void> {
  const current = state();
  current.running ??= (async () => {
    for (const phase of PHASES) {
      const hooks = [...current.hooks.values()].filter((hook) => hook.phase === phase);
      await Promise.allSettled(hooks.map(async (hook) => hook.run()));
    }
  })();
  return current.running;
}

function installSignalHandlers(): void {
  const current = state();
  if (current.installed) return;
  current.installed = true;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      void runShutdown().finally(() => {
        // A listener turns off Node's default exit on the signal; when no one else handles it
        // (not under Next.js) and the entry did not ask to exit, restore the default now.
        if (state().exitAfter) process.exit(0);
        else if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
      });
    });
  }
}
