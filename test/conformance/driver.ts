/**
 * What a conformance driver is: a protocol x transport that can serve an API and connect a
 * client to it, with the capabilities that decide which cases of cases.ts it runs.
 */
import type { ErrorCode, Remote } from "../../src/index.js";
import type { ServerCall } from "../../src/index.js";
import type { ConnectOptionsWithUse, ServeOptionsWithUse } from "./cases.js";

/** What a protocol x transport can carry; cases it cannot are not registered. */
export interface Capabilities {
  /** JSON-RPC's named params: an object `params` arrives as one object argument. */
  namedParams: boolean;
  /** "native": a message nobody answers; "emulated": the client sends a call and drops its answer. */
  notifications: "native" | "emulated";
  /**
   * "exact": an RpcError arrives with its code, message and data; "python": errors travel
   * as Python exceptions (src/pymanager/errors.ts) or a traceback's last line, so the code and
   * message survive, data does not.
   */
  errors: "exact" | "python";
  /** The handler's context().signal aborts when the caller's deadline passes. */
  deadlineReachesHandler: boolean;
  /** "carried": cancelling aborts the handler's signal; "client": only the caller's call rejects. */
  cancellation: "carried" | "client";
  /** maxCallsInFlight answers RESOURCE_EXHAUSTED past the limit. */
  inFlightLimit: boolean;
  /** serve(api, { use }) applies. */
  serverInterceptors: boolean;
  /** connect(url, { use }) applies. */
  clientInterceptors: boolean;
}

/** A running server for one case, and how to reach it. */
export interface Endpoint {
  connect<T>(options?: ConnectOptionsWithUse): Promise<Remote<T>>;
  /** Sends one raw JSON-RPC document and answers the decoded response (drivers with namedParams). */
  sendJson?(doc: unknown): Promise<unknown>;
  close(): Promise<void>;
}

export interface Driver {
  /** "farcall/1 over tcp", ... */
  readonly name: string;
  /** The protocol of call-log entries and interceptor calls. */
  readonly protocol: ServerCall["protocol"] & ("farcall/1" | "jsonrpc" | "xmlrpc" | "pymanager");
  /** The transport of call-log entries. */
  readonly transport: string;
  readonly caps: Capabilities;
  /** Why the driver cannot run on this machine; the suite is then skipped, loudly. */
  readonly unavailable?: string | undefined;
  setup?(): Promise<void>;
  teardown?(): Promise<void>;
  /** Serves `api` with `options` (logger and callLog are set by the suite). */
  start(api: object, options: ServeOptionsWithUse): Promise<Endpoint>;
  /**
   * The code a client of this protocol sees for a framework code raised on the server
   * (pymanager: the Python exception it travels as). @default the code itself
   */
  clientCode?(code: ErrorCode): string;
}

/** What farcall/1 carries over a socket: everything but JSON-RPC's named params. */
export const FARCALL_CAPS: Capabilities = Object.freeze({
  namedParams: false,
  notifications: "native",
  errors: "exact",
  deadlineReachesHandler: true,
  cancellation: "carried",
  inFlightLimit: true,
  serverInterceptors: true,
  clientInterceptors: true,
});
