/**
 * The call log: one structured entry per call a server answers, whatever the protocol, for
 * `serve(api, { callLog })` and `farcall serve --log FILE`. Off by default, and then free:
 * no clock is read and no entry is built unless a call log is set.
 */
import type { PeerInfo } from "./context.js";
import { RpcError } from "./errors.js";
import type { Logger } from "./logger.js";

/** One call, as the call log sees it. */
export interface CallLogEntry {
  /** The method path the caller named, e.g. "counter.inc" (as sent, even when not found). */
  method: string;
  /** "farcall/1", "jsonrpc", "xmlrpc" or "pymanager". */
  protocol: string;
  /** The connection's transport: "tcp", "tls", "unix", "http", "https", "nats". */
  transport: string;
  /** The caller's address (IP, or the socket path for Unix sockets). */
  address: string;
  /** The caller's port, when the transport has ports. */
  port?: number;
  /** Time from the call's arrival to its answer (or, for a notification, the handler's end), ms. */
  durationMs: number;
  /** "ok", or the error code it failed with (an RpcError code: a string or an application number). */
  outcome: string | number;
  /** True for a notification: nobody was answered. */
  notification: boolean;
}

/** Receives one entry per call; it runs on the server's event loop, so it should be quick. */
export type CallLog = (entry: CallLogEntry) => void;

/** A high-resolution timestamp (ms), read only when a call log is set. */
export const callClock: () => number = () => performance.now();

/** The outcome field of an entry: "ok", or the code `error` maps to. */
export function outcomeOf(failed: boolean, error: unknown): string | number {
  return failed ? RpcError.from(error).code : "ok";
}

/**
 * Writes one entry. A call log that throws must not fail the call or the connection, so
 * its error is logged instead.
 */
export function writeCallLog(
  log: CallLog,
  logger: Logger,
  protocol: string,
  peer: PeerInfo,
  method: string,
  started: number,
  outcome: string | number,
  notification: boolean,
): void {
  const entry: CallLogEntry = {
    method,
    protocol,
    transport: peer.transport,
    address: peer.address,
    ...(peer.port !== undefined ? { port: peer.port } : {}),
    durationMs: Math.round((callClock() - started) * 1000) / 1000,
    outcome,
    notification,
  };
  try {
    log(entry);
  } catch (err) {
    logger.warn(`the call log threw: ${(err as Error).message}`);
  }
}
