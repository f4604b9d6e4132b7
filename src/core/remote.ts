/**
 * `Remote<T>`: the typed proxy a caller holds. Every function of T becomes a
 * Promise-returning function, nested objects become nested remotes. Proxies are memoised
 * per path, and `then` is never a remote call, so `await connect(...)` and `await remote`
 * behave. Per-call options, notifications and batches are reached through free functions
 * (withOptions, notify, batch in batch.ts) so they never clash with a user's method names.
 */
import { RpcError } from "./errors.js";
import { currentCall, type CallContext } from "./context.js";
import type { MethodInfo } from "./dispatcher.js";
import type { DeclaresErrors, ErrorsOf } from "./error-contract.js";
import { LIST_METHODS } from "./messages.js";
import { ASYNC_DISPOSE, DISPOSE, type Ref, type RemoteStream } from "./ref.js";

/** Options of one call, or of every call made through a remote from {@link withOptions}. */
export interface CallOptions {
  /** Milliseconds the call may take before it rejects with DEADLINE_EXCEEDED; 0 means none. */
  timeout?: number;
  /** Aborting it cancels the call: it rejects with CANCELLED and the handler's signal aborts. */
  signal?: AbortSignal;
  /** Metadata for the handler (`context().meta`). */
  meta?: Record<string, unknown>;
  /**
   * Inside a handler, calls take the handler's remaining deadline and its signal. `false`
   * makes them independent of the call being served: for work that outlives it (a background
   * job started by a handler). @default true
   */
  inherit?: boolean;
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

/**
 * Classes whose instances cross the wire as themselves (registerType). Declare them here,
 * under any key, so that `Remote<T>` keeps their methods:
 * @example declare module "farcall" { interface RegisteredTypes { point: Point } }
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface RegisteredTypes {}

/** Values the codecs carry as themselves. */
type Intact = Date | Map<unknown, unknown> | Set<unknown> | ArrayBufferView | ArrayBuffer | Error | RegisteredTypes[keyof RegisteredTypes];

/**
 * What a value of type `T` becomes on the other side: an object marked with ref() a remote
 * object, a function a remote function, an async iterable a stream, Date, Map, Set, bytes,
 * errors and registered types themselves; any other object arrives as its data fields only.
 * A class's methods live on its prototype and are not sent, and a type cannot tell a method
 * from a function-valued field, so a data object's function members are left out of the type
 * (return `ref(obj)`, or the function itself, to call them remotely).
 */
export type Received<T> = T extends Ref<infer O>
  ? RemoteObject<O>
  : T extends AnyFunction
    ? RemoteCallback<T>
    : T extends Intact
      ? T
      : T extends AsyncIterable<infer Y>
        ? RemoteStream<Received<Y>>
        : T extends readonly unknown[]
          ? { -readonly [K in keyof T]: Received<T[K]> }
          : T extends object
            ? DataOf<T>
            : T;

/** An object as it arrives by copy: its data members, received in turn. */
export type DataOf<T> = { [K in keyof T as K extends symbol ? never : T[K] extends AnyFunction ? never : K]: Received<T[K]> };

/**
 * The remote form of a function: same parameters, result always a Promise. The error codes
 * a described method declares come along (see isRpcError).
 */
export type RemoteFunction<F> = F extends (...args: infer A) => infer R ? ((...args: A) => Promise<Received<Awaited<R>>>) & DeclaresErrors<ErrorsOf<F>> : never;

/** A function passed by reference: call it, and release it when done (or let GC do it). */
export type RemoteCallback<F> = RemoteFunction<F> & Disposable;

/** An object passed by reference with ref(): its methods, and release when done. */
export type RemoteObject<T> = Remote<T> & Disposable;

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

/** The imported reference behind a remote object or function (see ref-session.ts). */
export interface RefHandle {
  readonly id: number;
  readonly released: boolean;
  release(): void;
  belongsTo(session: unknown): boolean;
}

export interface RemoteState {
  readonly caller: Caller;
  readonly path: string;
  readonly options: CallOptions;
  readonly children: Map<string, unknown>;
  /** Set on proxies of an imported reference. */
  readonly ref: RefHandle | undefined;
  /** The reference's root proxy: a method proxy keeps it alive, so holding `account.deposit` keeps `account`. */
  readonly anchor: object | undefined;
}

const STATE = Symbol("farcall.remote");

/**
 * Names a proxy never turns into calls: `then` (so awaiting a remote is not a call), and what
 * every object inherits or serialisers probe (toJSON, toString, valueOf...), so logging,
 * stringifying or duck-typing a remote, or a value holding one, never calls the other side.
 */
const NOT_REMOTE: ReadonlySet<string> = new Set(["then", "toJSON", ...Object.getOwnPropertyNames(Object.prototype)]);

type ProxyTarget = { (): void; [STATE]: RemoteState };

/** Where each caller's remotes say they point, for String(remote) and console.log. */
const labels = new WeakMap<Caller, string>();

/** Names what `caller`'s remotes point at (a URL without credentials), for printing them. */
export function labelCaller(caller: Caller, label: string): void {
  labels.set(caller, label);
}

/** What a remote prints as: `Remote<tcp://127.0.0.1:4343>.counter.inc`. Never a call. */
function printed(state: RemoteState): string {
  const where = labels.get(state.caller) ?? (state.ref ? "reference" : "farcall");
  return `Remote<${where}>${state.path === "" ? "" : `.${state.path}`}`;
}

const INSPECT = Symbol.for("nodejs.util.inspect.custom");

const handler: ProxyHandler<ProxyTarget> = {
  get(target, prop) {
    const state = target[STATE];
    if (prop === STATE) return state;
    // Only names that became remotes are in children: a plain call's method is found first.
    let child = state.children.get(prop as string);
    if (child !== undefined) return child;
    if (typeof prop === "symbol") {
      if (prop === Symbol.toPrimitive || prop === INSPECT) return () => printed(state);
      if (prop === Symbol.toStringTag) return printed(state);
      if (state.ref) return prop === DISPOSE || prop === ASYNC_DISPOSE ? () => state.ref!.release() : undefined;
      return prop === ASYNC_DISPOSE && state.path === "" ? () => state.caller.close() : undefined;
    }
    if (prop === "toString") return () => printed(state);
    if (NOT_REMOTE.has(prop)) return undefined;
    child = makeRemote(state.caller, state.path === "" ? prop : `${state.path}.${prop}`, state.options, state.ref, state.anchor);
    state.children.set(prop, child);
    return child;
  },
  apply(target, _thisArg, args: unknown[]) {
    const state = target[STATE];
    if (state.path === "") return Promise.reject(new TypeError("a remote API root is not a function"));
    const ctx = state.options.inherit === false ? undefined : currentCall();
    if (ctx === undefined) return state.caller.call(state.path, args, state.options);
    const options = inherited(state.options, ctx, state.path);
    return options instanceof RpcError ? Promise.reject(options) : state.caller.call(state.path, args, options);
  },
  set: () => false,
  defineProperty: () => false,
  deleteProperty: () => false,
  has: (_target, prop) => typeof prop === "string" && prop !== "then",
};

/**
 * A call made inside a handler carries the handler's remaining deadline and its signal, so
 * cancelling or timing out a call reaches every call it made, across any number of hops.
 */
function inherited(options: CallOptions, ctx: CallContext, path: string): CallOptions | RpcError {
  let timeout = options.timeout;
  if (ctx.deadline !== undefined) {
    const left = Math.ceil(ctx.deadline - Date.now());
    if (left <= 0) return new RpcError("DEADLINE_EXCEEDED", `${path}: the deadline of the call being served has passed`);
    timeout = timeout === undefined || timeout === 0 ? left : Math.min(timeout, left);
  }
  const signal = options.signal ? AbortSignal.any([options.signal, ctx.signal]) : ctx.signal;
  return { ...options, timeout, signal };
}

/** Builds a remote proxy over `caller` at `path` ("" for the root). */
export function makeRemote<T>(caller: Caller, path = "", options: CallOptions = {}, ref?: RefHandle, anchor?: object): Remote<T> {
  const target = function remote() {} as unknown as ProxyTarget;
  const state: RemoteState = { caller, path, options, children: new Map(), ref, anchor };
  // Non-enumerable, and inspect's hook on the target itself: util.inspect looks at a proxy's
  // target without running its traps.
  Object.defineProperty(target, STATE, { value: state });
  Object.defineProperty(target, INSPECT, { value: () => printed(state) });
  const proxy = new Proxy(target, handler) as unknown as Remote<T>;
  if (ref && !anchor) (state as { anchor: object | undefined }).anchor = proxy;
  return proxy;
}

/** The reference a root proxy of an imported reference stands for, if `value` is one. */
export function remoteRefOf(value: unknown): RefHandle | undefined {
  const state = typeof value === "function" ? (value as { [STATE]?: RemoteState })[STATE] : undefined;
  return state?.ref && state.anchor === value ? state.ref : undefined;
}

/**
 * Gives a reference received from the other side back: a remote function, a remote object or
 * a stream. Later calls on it reject with RELEASED. The same as `value[Symbol.dispose]()`;
 * a reference nobody holds is released by garbage collection anyway.
 */
export function release(value: unknown): void {
  const disposer = value !== null && (typeof value === "object" || typeof value === "function") ? (value as { [DISPOSE]?: unknown })[DISPOSE] : undefined;
  if (typeof disposer !== "function") throw new TypeError("release() expects a reference received from a peer (a remote function, remote object or stream)");
  (disposer as () => void).call(value);
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
