/**
 * `context()`: what a handler knows about the call it is serving, carried through its
 * awaits by the runtime's call store (AsyncLocalStorage on Node) so handlers stay plain
 * functions. Where the runtime has no async context (browsers), only a handler's synchronous
 * part sees it (core/runtime.ts).
 */
import { RpcError } from "./errors.js";
import type { Remote } from "./remote.js";
import { runtime } from "./runtime.js";

/** Who is on the other end of a connection. */
export interface PeerInfo {
  /** Transport the connection came over: "tcp", "tls", "unix", "http", "https", "nats". */
  readonly transport: string;
  /** Remote address (IP, or the socket path for Unix sockets). */
  readonly address: string;
  /** Remote port, when the transport has ports. */
  readonly port?: number;
  /** True once the peer proved it holds the authkey (always false on a listener without one). */
  readonly authenticated: boolean;
  /** The verified client certificate's subject on a mutual-TLS connection. */
  readonly certificateSubject?: Readonly<Record<string, unknown>>;
}

/** The call a handler is serving. */
export interface CallContext {
  /** The method path the caller named, e.g. "counter.inc". */
  readonly method: string;
  /** The protocol the call came in: "farcall/1", "jsonrpc", "xmlrpc" or "pymanager". */
  readonly protocol: string;
  /** The connection the call came over. */
  readonly peer: PeerInfo;
  /** Aborted when the caller cancels, the deadline passes or the connection drops. */
  readonly signal: AbortSignal;
  /** Absolute deadline (ms since the epoch, local clock), if the caller set a timeout. */
  readonly deadline: number | undefined;
  /** Metadata the caller attached to the call. */
  readonly meta: Readonly<Record<string, unknown>>;
  /**
   * The caller's side as a typed remote, over the same connection: it serves what the caller
   * exposed (`connect(url, { expose })`). Only farcall/1 sessions have a way back; over HTTP,
   * XML-RPC or the manager protocol this throws UNAVAILABLE.
   */
  remote<T = Record<string, unknown>>(): Remote<T>;
}

/**
 * The current call, inside a handler (and everything it awaits; in a browser, only before
 * the handler's first await).
 * @throws RpcError INTERNAL when called outside a handler.
 */
export function context(): CallContext {
  const ctx = runtime.callStore.getStore() as CallContext | undefined;
  if (!ctx) throw new RpcError("INTERNAL", "context() was called outside a farcall handler");
  return ctx;
}

/** The call being served, or undefined outside a handler. */
export function currentCall(): CallContext | undefined {
  return runtime.callStore.getStore() as CallContext | undefined;
}

/** Runs `fn` with `ctx` as the current call. */
export function runInContext<R>(ctx: CallContext, fn: (...args: unknown[]) => R, self: unknown, args: unknown[]): R {
  return runtime.callStore.run(ctx, callWith, fn, self, args) as R;
}

function callWith(fn: (...args: unknown[]) => unknown, self: unknown, args: unknown[]): unknown {
  return fn.apply(self, args);
}
