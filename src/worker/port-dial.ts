/**
 * Both ends of farcall/1 over a port: `connect(worker)` (a Caller over a session) and
 * `servePort(api, port)` (the worker's side). Options are connect()'s, resolved once.
 */
import type { ResolvedConnect } from "../connect-options.js";
import { resolveConnectOptions } from "../connect-options.js";
import type { Caller } from "../core/remote.js";
import { CONNECT_DEFAULTS, type ConnectOptions } from "../options.js";
import type { PortEndpoint } from "./port-link.js";
import { portPeer, type PortSessionOptions } from "./session.js";

function sessionOptions(expose: object | undefined, o: ResolvedConnect): PortSessionOptions {
  return {
    expose,
    logger: o.logger,
    maxDepth: o.limits.maxDepth,
    maxFrameBytes: o.limits.maxFrameBytes,
    maxCallsInFlight: CONNECT_DEFAULTS.maxCallsInFlight,
    maxReferences: o.limits.maxReferences,
  };
}

/** connect()'s dialer for a Worker, MessagePort or Web Worker: a session that starts at once. */
export function portCaller(endpoint: PortEndpoint, options: ResolvedConnect): Caller {
  return portPeer(endpoint, "worker", sessionOptions(options.expose, options)).caller;
}

/** A running {@link servePort}. */
export interface PortServer {
  /** Ends the session: the other side's calls fail with UNAVAILABLE. */
  close(): void;
}

/**
 * Serves `api` on `endpoint`: in a worker, `parentPort` (worker_threads) or `self` (a Web
 * Worker); or one end of a MessageChannel. The other side calls it with `connect(worker)`
 * (or `connect(port)`), and can pass callbacks, references and streams both ways.
 * @example servePort(api, parentPort!)
 */
export function servePort(api: object, endpoint: PortEndpoint, options: Pick<ConnectOptions, "logger" | "maxFrameBytes" | "maxDepth" | "maxReferences"> = {}): PortServer {
  const peer = portPeer(endpoint, "port", sessionOptions(api, resolveConnectOptions(options)));
  return { close: () => peer.close() };
}
