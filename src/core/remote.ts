/**
 * `Remote<T>`: the typed proxy a caller holds. Every function of T becomes a
 * Promise-returning function, nested objects become nested remotes. Proxies are memoised
 * per path, and `then` is never a remote call, so `await connect(...)` and `await remote`
 * behave. Per-call options, notifications and batches are reached through free functions
 * (withOptions, notify, batch in batch.ts) so they never clash with a user's method names.
 */
import { RpcError } from "./errors.js";
import type { MethodInfo } from "./dispatcher.js";
import { LIST_METHODS } from "./messages.js";

/** Options of one call, or of every call made through a remote from {@link withOptions}. */
export interface CallOptions {
  /** Milliseconds the call may take before it rejects with DEADLINE_EXCEEDED; 0 means none. */
  timeout?: number;
  /** Aborting it cancels the call: it rejects with CANCELLED and the handler's signal aborts. */
  signal?: AbortSignal;
  /** Metadata for the handler (`context().meta`). */
  meta?: Record<string, unknown>;
}

/** One member of a batch: a call settled through resolve/reject, or a notification. */
export type BatchedCall =
  | { kind: "call"; target: string; args: unknown[]; options: CallOptions; resolve(value: unknown): void; reject(error: unknown): void }
  | { kind: "notify"; target: string; args: unknown[]; options: CallOptions; done: ((error?: RpcError) => void) | undefined };

/** What a remote proxy calls through: a client, or later a session's other side. */
export interface Caller {
  call(target: string, args: unknown[], options: CallOptions): Promise<unknown>;
  notify(target: string, args: unknown[], options: CallOptions, done?: (error?: RpcError) => void): void;
  /**
   * Sends several calls as one unit and settles each member. Optional: a caller without it
   * gets the members issued one after another in the same tick, which a multiplexed
   * connection already writes together.
   */
  batch?(calls: readonly BatchedCall[]): void;
  close(): Promise<void>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFunction = (...args: any[]) => any;

/** The remote form of a function: same parameters, result always a Promise. */
export type RemoteFunction<F> = F extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;

type ExposedKey<T, K extends keyof T> = K extends string
  ? K extends `_${string}` | `$${string}` | "constructor"
    ? never
    : T[K] extends AnyFunction
      ? K
      : T[K] extends object
        ? K
        : never
  : never;

/** The typed view of an exposed object `T` on the caller's side. */
export type Remote<T> = {
  readonly [K in keyof T as ExposedKey<T, K>]: T[K] extends AnyFunction ? RemoteFunction<T[K]> : Remote<T[K]>;
} & AsyncDisposable;

export interface RemoteState {
  readonly caller: Caller;
  readonly path: string;
  readonly options: CallOptions;
  readonly children: Map<string, unknown>;
}

const STATE = Symbol("farcall.remote");

type ProxyTarget = { (): void; [STATE]: RemoteState };

const handler: ProxyHandler<ProxyTarget> = {
  get(target, prop) {
    const state = target[STATE];
    if (prop === STATE) return state;
    if (typeof prop === "symbol") {
      return prop === Symbol.asyncDispose && state.path === "" ? () => state.caller.close() : undefined;
    }
    if (prop === "then") return undefined;
    let child = state.children.get(prop);
    if (child === undefined) {
      child = makeRemote(state.caller, state.path === "" ? prop : `${state.path}.${prop}`, state.options);
      state.children.set(prop, child);
    }
    return child;
  },
  apply(target, _thisArg, args: unknown[]) {
    const state = target[STATE];
    if (state.path === "") return Promise.reject(new TypeError("a remote API root is not a function"));
    return state.caller.call(state.path, args, state.options);
  },
  set: () => false,
  defineProperty: () => false,
  deleteProperty: () => false,
  has: (_target, prop) => typeof prop === "string" && prop !== "then",
};

/** Builds a remote proxy over `caller` at `path` ("" for the root). */
export function makeRemote<T>(caller: Caller, path = "", options: CallOptions = {}): Remote<T> {
  const target = function remote() {} as unknown as ProxyTarget;
  target[STATE] = { caller, path, options, children: new Map() };
  return new Proxy(target, handler) as unknown as Remote<T>;
}

/** The caller, path and options behind a remote; a TypeError naming `what` for anything else. */
export function stateOf(remote: unknown, what: string): RemoteState {
  const state = remote !== null && (typeof remote === "function" || typeof remote === "object") ? (remote as { [STATE]?: RemoteState })[STATE] : undefined;
  if (!state) throw new TypeError(`${what} expects a remote (from connect()), got ${typeof remote}`);
  return state;
}

/**
 * The same remote with per-call options: every call made through the result uses them.
 * @example await withOptions(remote, { timeout: 500 }).reports.build()
 */
export function withOptions<R>(remote: R, options: CallOptions): R {
  const state = stateOf(remote, "withOptions()");
  if (options.timeout !== undefined && (!Number.isFinite(options.timeout) || options.timeout < 0)) {
    throw new RangeError(`timeout must be a non-negative number of ms, got ${options.timeout}`);
  }
  return makeRemote(state.caller, state.path, { ...state.options, ...options }) as R;
}

/**
 * Calls a remote function without waiting for, or getting, an answer. `done` (optional)
 * learns when the notification was handed to the connection, or why it could not be.
 * @example notify(remote.counter.inc, ["views"])
 */
export function notify<F>(fn: F, args: unknown[] = [], done?: (error?: RpcError) => void): void {
  const state = stateOf(fn, "notify()");
  if (state.path === "") throw new TypeError("notify() needs a remote function, not the API root");
  state.caller.notify(state.path, args, state.options, done);
}

/** The methods the other side exposes, with their arity, sorted by name. */
export function listMethods(remote: unknown): Promise<MethodInfo[]> {
  const state = stateOf(remote, "listMethods()");
  return state.caller.call(LIST_METHODS, [], state.options) as Promise<MethodInfo[]>;
}

/** Closes the connection behind a remote. Calls still in flight reject with UNAVAILABLE. */
export function close(remote: unknown): Promise<void> {
  return stateOf(remote, "close()").caller.close();
}
