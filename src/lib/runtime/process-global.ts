/**
 * Process-wide state that survives Next.js loading a module more than once (instrumentation,
 * route bundles and the Node entry each get their own module instances, but share `globalThis`).
 * One helper instead of a `globalThis as unknown as { __x?: T }` cast in every module.
 */
const store = globalThis as unknown as Record<symbol, unknown>;

export interface ProcessGlobal<T> {
  /** The current value, if any. */
  get(): T | undefined;
  /** Replaces the value (undefined clears it). */
  set(value: T | undefined): void;
  /** The current value, created by `create` on first use. */
  getOrCreate(create: () => T): T;
}

/** A named slot on `globalThis` (keyed by a registered symbol, so it never collides with app globals). */
export function processGlobal<T>(name: string): ProcessGlobal<T> {
  const key = Symbol.for(`chat-response.${name}`);
  return {
    get: () => store[key] as T | undefined,
    set: (value) => {
      if (value === undefined) delete store[key];
      else store[key] = value;
    },
    getOrCreate: (create) => {
      if (!(key in store)) store[key] = create();
      return store[key] as T;
    },
  };
}
