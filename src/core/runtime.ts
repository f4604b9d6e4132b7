/**
 * The runtime seam: the little the core needs from its host beyond what every JavaScript
 * runtime (browsers included) has. The core imports no Node module; a host that can
 * do better installs its own hooks once, at startup (the Node entry does, see
 * src/runtime-node.ts).
 */

/**
 * A store for the value of the call being served. `run` makes `value` current while `fn`
 * runs; how far it reaches is the store's: Node's AsyncLocalStorage carries it through every
 * await `fn` makes, {@link SyncContextStore} only through `fn`'s synchronous part.
 */
export interface AsyncContextStore<T> {
  run<A extends unknown[], R>(value: T, fn: (...args: A) => R, ...args: A): R;
  /** The current value, or undefined outside `run`. */
  getStore(): T | undefined;
}

/**
 * The store of a runtime without async context (browsers, until the TC39 AsyncContext
 * proposal lands): the value is current only while `fn` runs synchronously. A handler there
 * reads `context()` before its first `await` and keeps what it needs; after an await
 * `context()` throws, it never returns another call's context (a continuation always runs
 * from the microtask queue, outside every `run`).
 */
export class SyncContextStore<T> implements AsyncContextStore<T> {
  private current: T | undefined;

  run<A extends unknown[], R>(value: T, fn: (...args: A) => R, ...args: A): R {
    const outer = this.current;
    this.current = value;
    try {
      return fn(...args);
    } finally {
      this.current = outer;
    }
  }

  getStore(): T | undefined {
    return this.current;
  }
}

/** What a host can give the core. */
export interface RuntimeHooks {
  /** The store of the call being served (its values are `CallContext`s). */
  readonly callStore: AsyncContextStore<unknown>;
  /**
   * Lifts the host's listener-count warning on a signal the core hands out: a handler's
   * signal is followed by every call it makes (a callback fired 1,000 times at once adds
   * 1,000 listeners, each removed when its call settles), which is no leak.
   */
  readonly unlimitListeners?: (signal: AbortSignal) => void;
}

const hooks: { -readonly [K in keyof RuntimeHooks]: RuntimeHooks[K] } = { callStore: new SyncContextStore() };

/** The hooks in force: read at each use, so installing them late still takes effect. */
export const runtime: Readonly<RuntimeHooks> = hooks;

/**
 * Installs a host's hooks. Call it at startup, before any call is served: a handler already
 * running keeps the store it started in, and would not find its context in the new one.
 */
export function installRuntime(host: RuntimeHooks): void {
  hooks.callStore = host.callStore;
  hooks.unlimitListeners = host.unlimitListeners;
}

/**
 * Lets the process exit while `timer` is pending, where timers can hold a process open (Node,
 * Bun: their timers have `unref`); elsewhere (a browser's numeric timer ids) it does nothing.
 */
export function unrefTimer(timer: unknown): void {
  (timer as { unref?: () => unknown }).unref?.();
}
