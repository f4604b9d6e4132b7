/**
 * The options of serve() and connect(), with every default in one frozen place and checks
 * that make misuse fail at startup, naming the option.
 */
import type { PyManagerConnectOption, PyManagerOnPort } from "./pymanager/one-port-option.js";
import type { IncomingMessage } from "node:http";
import type { SecureContextOptions } from "node:tls";
import type { CallLog, CallLogEntry } from "./core/call-log.js";
import type { ClientInterceptor } from "./core/client-interceptor.js";
import type { Interceptor } from "./core/pipeline.js";
import type { Logger } from "./core/logger.js";
import { checkInteger } from "./core/option-checks.js";
import type { OpenRpcInfo } from "./jsonrpc/openrpc.js";
import type { NatsOptions } from "./nats/options.js";

/** Limits shared by both ends of a farcall/1 connection. */
export interface ConnectionLimits {
  /** Largest frame accepted, checked before the body is read. @default 16777216 (16 MiB) */
  maxFrameBytes?: number;
  /** Deepest nesting of a decoded value. @default 64 */
  maxDepth?: number;
  /** Ping a silent peer after this many ms; 0 disables keepalive. @default 15000 */
  keepaliveIntervalMs?: number;
  /** A ping unanswered for this many ms ends the connection (UNAVAILABLE). @default 10000 */
  keepaliveTimeoutMs?: number;
  /**
   * Bytes queued for one peer (unsent and waiting), counted as each frame is queued: an
   * answer or call that would pass it fails alone with RESOURCE_EXHAUSTED; a peer that does
   * not read even those short errors is disconnected. @default 67108864 (64 MiB)
   */
  maxWriteBufferBytes?: number;
  /**
   * References (functions, ref() objects) and open streams alive at once on one session, in
   * each direction: exporting past it fails that call, and a peer sending more is answered
   * RESOURCE_EXHAUSTED. @default 10000
   */
  maxReferences?: number;
}

/**
 * The bounds of what a resumable farcall/1 session keeps for its resumption: messages sent
 * and not yet acknowledged by the other side (acknowledgements go out every 64 messages,
 * 256 KiB or 100 ms, so a connected session keeps far less). Past them while connected the
 * session stops being resumable; past them while the connection is down the session ends
 * (UNAVAILABLE), and a call that would pass them fails alone with RESOURCE_EXHAUSTED.
 */
export interface ResumeBufferLimits {
  /** Bytes kept; at most maxWriteBufferBytes, since they are sent again in one go. @default 8388608 (8 MiB) */
  resumeBufferBytes?: number;
  /** Messages kept. @default 10000 */
  resumeBufferFrames?: number;
}

/** TLS settings of a `tls://` listener: certificate and key, and for mutual TLS a CA and `requestCert`. */
export interface ServerTlsOptions extends SecureContextOptions {
  /** Ask clients for a certificate (mutual TLS). @default false */
  requestCert?: boolean;
  /** With requestCert, refuse clients whose certificate the CA did not sign. @default true */
  rejectUnauthorized?: boolean;
}

/** TLS settings of a client: the CA to trust, and a certificate for mutual TLS. */
export interface ClientTlsOptions extends SecureContextOptions {
  /** Name to verify the server certificate against. @default the host of the URL */
  servername?: string;
  /** Refuse a server whose certificate is not trusted. @default true */
  rejectUnauthorized?: boolean;
}

/**
 * Checks a bearer token (`Authorization: Bearer <token>`) of an HTTP request; `request` is
 * the framework's request (node's IncomingMessage, or a Fetch Request).
 */
export type BearerAuth<R> = (token: string, request: R) => boolean | Promise<boolean>;

/** JSON-RPC 2.0 and XML-RPC over HTTP: the options of httpHandler(), fetchHandler() and http:// listeners. */
export interface HttpHandlerOptions<R> {
  /**
   * Decides whether a bearer token may call. Without it, a handler with an `authkey` accepts
   * exactly `Bearer <authkey>` (compared in constant time), and one with neither is open.
   * @default none
   */
  auth?: BearerAuth<R>;
  /** The shared secret, accepted as a bearer token when no `auth` function is given. @default none */
  authkey?: string | Uint8Array;
  /**
   * Largest request body: checked against Content-Length before reading and again while the
   * body streams in; larger requests are answered 413.
   * @default 16777216 (16 MiB)
   */
  maxBodyBytes?: number;
  /** Deepest JSON nesting of a request; deeper documents are refused before JSON.parse. @default 64 */
  maxDepth?: number;
  /** Most requests in one JSON-RPC batch or XML-RPC system.multicall; a larger one is answered by one error. @default 1000 */
  maxBatch?: number;
  /** Most elements in one XML-RPC document, counted while parsing; more is answered by a RESOURCE_EXHAUSTED fault. @default 500000 */
  maxXmlElements?: number;
  /** The `info` of the OpenRPC document (`rpc.discover`, GET). @default { title: "farcall", version: "1.0.0" } */
  openrpc?: OpenRpcInfo;
  /** Where refused requests are logged; false for nowhere. @default stderr */
  logger?: Logger | false;
  /** Gets one entry per call (method, duration, outcome, caller); see {@link CallLogEntry}. @default none (nothing is timed) */
  callLog?: CallLog;
  /** Interceptors every call passes through, outermost first; see {@link Interceptor}. @default none */
  use?: Interceptor[];
  /**
   * Answer a browser's GET (Accept: text/html) with the explorer page, which lists the
   * methods and calls them with the bearer key the user types. Off by default here, as the
   * handler lives inside someone else's site. @default false
   */
  explorer?: boolean;
}

/** Shared by HTTP_DEFAULTS and SERVE_DEFAULTS as plain constants: a property read would keep both in the browser build. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;
const MAX_BATCH = 1000;
const MAX_XML_ELEMENTS = 500_000;

// The defaults only servers use are marked pure, with no spread or property read in them
// (either could run a getter), so that a bundler drops them from a build that never reads
// them: the browser build (test/browser/browser-build.test.ts).

/** Defaults of {@link HttpHandlerOptions}. */
export const HTTP_DEFAULTS = /* @__PURE__ */ Object.freeze({
  maxBodyBytes: MAX_BODY_BYTES,
  maxDepth: 64,
  maxBatch: MAX_BATCH,
  maxXmlElements: MAX_XML_ELEMENTS,
  explorer: false,
  openrpc: /* @__PURE__ */ Object.freeze({ title: "farcall", version: "1.0.0" }),
});

/**
 * Raw JSON-RPC over TCP (a connection whose first byte is `{` or `[`) carries no
 * credentials. "auto": accepted on listeners without an authkey, refused on those with one;
 * "trusted": accepted everywhere (for trusted networks only); "off": always refused.
 */
export type JsonRpcOverTcp = "auto" | "trusted" | "off";

/**
 * One listener with a policy of its own: the server-wide options of the same names are its
 * defaults, and what it sets here replaces them on this listener alone (`use` is the
 * exception: it runs inside the server-wide interceptors, not instead of them). `null`
 * turns an inherited `authkey`, `auth` or `allow` off for this listener.
 * @example { url: "pymanager://0.0.0.0:4344", authkey: "password" }
 */
export interface ListenEntry {
  /** Where to listen, as in a plain `listen` string. */
  url: string;
  /** Shared secret clients of this listener must prove they hold. @default the server's `authkey` */
  authkey?: string | Uint8Array | null;
  /** Bearer-token check for HTTP on this listener. @default the server's `auth` */
  auth?: BearerAuth<IncomingMessage> | null;
  /** Client addresses and CIDR ranges allowed on this listener. @default the server's `allow` */
  allow?: string[] | null;
  /** Certificate and key of this `tls://` or `https://` listener. @default the server's `tls` */
  tls?: ServerTlsOptions;
  /** Interceptors for calls arriving on this listener, run inside the server's `use`. @default none */
  use?: Interceptor[];
  /** Whether raw JSON-RPC over TCP (and over WebSocket, subprotocol `jsonrpc-2.0`) is served on this listener. @default the server's `jsonRpcOverTcp` */
  jsonRpcOverTcp?: JsonRpcOverTcp;
  /**
   * On tcp:// and unix://, `{ silenceMs }` also answers Python's manager clients, taking a
   * connection that sends nothing for `silenceMs` for one (every Python connection waits that
   * long first, and a client that connects and waits is taken for one). On those and on
   * pymanager://, `classes` names a program's own Python classes clients may store. @default off
   */
  pymanager?: PyManagerOnPort;
}

export interface ServeOptions extends ConnectionLimits, ResumeBufferLimits {
  /**
   * Where to listen: URLs, or {@link ListenEntry} objects for listeners with a policy of
   * their own. @default "tcp://127.0.0.1:4343"
   */
  listen?: string | ListenEntry | (string | ListenEntry)[];
  /** Shared secret clients must prove they hold (mutual HMAC-SHA256); every listener's default. @default none */
  authkey?: string | Uint8Array;
  /**
   * Client addresses and CIDR ranges allowed to connect; others are refused before any byte
   * is read. Every listener's default (unix sockets are not subject to it). @default everyone
   */
  allow?: string[];
  /** Certificate and key for `tls://` and `https://` listeners; every listener's default. */
  tls?: ServerTlsOptions;
  /** Where connection events are logged; false for nowhere. @default stderr */
  logger?: Logger | false;
  /** Send handler stack traces to callers. @default false */
  exposeErrorStacks?: boolean;
  /** Time for a new connection to finish its handshake (ms). @default 10000 */
  handshakeTimeoutMs?: number;
  /** Close a connection with no call for this long (ms); 0 never. @default 300000 */
  idleTimeoutMs?: number;
  /** Connections open at once; more are refused. @default 10000 */
  maxConnections?: number;
  /** Calls served at once per connection; more are answered RESOURCE_EXHAUSTED. @default 10000 */
  maxCallsInFlight?: number;
  /**
   * Calls running at once over every connection and listener of the server; more are
   * answered RESOURCE_EXHAUSTED, so many connections each under maxCallsInFlight cannot add
   * up past it. @default 50000
   */
  maxServerCallsInFlight?: number;
  /**
   * Answer bytes queued for peers over every farcall/1 and raw JSON-RPC connection of the server, over TCP and WebSocket:
   * an answer that would pass it fails alone with RESOURCE_EXHAUSTED, as one past a connection's maxWriteBufferBytes does. @default 268435456 (256 MiB)
   */
  maxServerWriteBufferBytes?: number;
  /** Bytes held for farcall/1 frames of 64 KiB and more still arriving, over every stream connection of the server (a large frame's buffer, up to 8 times what arrived of it): a connection whose next buffer would pass it is closed with RESOURCE_EXHAUSTED, as a frame over maxFrameBytes is. @default 268435456 (256 MiB) */
  maxServerReadBufferBytes?: number;
  /** Largest JSON-RPC request (an HTTP body, or one JSON value over raw TCP). @default 16777216 (16 MiB) */
  maxBodyBytes?: number;
  /** Most requests in one JSON-RPC batch or XML-RPC system.multicall. @default 1000 */
  maxBatch?: number;
  /** Most elements in one XML-RPC document (XML-RPC is answered wherever JSON-RPC over HTTP is). @default 500000 */
  maxXmlElements?: number;
  /**
   * Time a client has to send one whole request: an HTTP request's headers and body (on
   * http:// listeners and HTTP sniffed on tcp:// and tls://), or one JSON value over raw
   * TCP, counted from its first byte. A client still sending after that is answered 408 (HTTP)
   * or a RESOURCE_EXHAUSTED error line (raw TCP) and disconnected. Idle keep-alive
   * connections are not affected.
   * @default 60000
   */
  requestTimeoutMs?: number;
  /** Bearer-token check for JSON-RPC and XML-RPC over HTTP, every listener's default; see {@link HttpHandlerOptions.auth}. @default none */
  auth?: BearerAuth<IncomingMessage>;
  /**
   * Gets one entry per call served, over every protocol: method, duration, outcome ("ok" or
   * the error code), caller and protocol; see {@link CallLogEntry}.
   * @default none: no call is timed or logged
   */
  callLog?: CallLog;
  /**
   * Interceptors (middleware) every call passes through, over every protocol and transport,
   * outermost first: `(call, next) => ...`; see {@link Interceptor}. @default none
   */
  use?: Interceptor[];
  /** Whether raw JSON-RPC over TCP (and over WebSocket, subprotocol `jsonrpc-2.0`) is served, every listener's default; see {@link JsonRpcOverTcp}. @default "auto" */
  jsonRpcOverTcp?: JsonRpcOverTcp;
  /** NATS credentials and TLS for `nats://` listeners; see {@link NatsOptions}. @default none */
  nats?: NatsOptions;
  /**
   * Answer a browser's GET (Accept: text/html) on tcp://, tls:// and http(s):// listeners
   * with the explorer page: the methods with their descriptions and parameters, a form to
   * call each with JSON arguments, and the `farcall call` and `curl` lines for the call.
   * The page asks for the authkey and sends it as a bearer token; false turns it off.
   * @default true
   */
  explorer?: boolean;
  /**
   * Web page origins ("http://localhost:5173") allowed to open WebSockets that carry no key
   * on a listener (farcall.v1 without an authkey, jsonrpc-2.0): a browser lets any page open
   * a WebSocket anywhere, so by default only the listener's own origin may. Requests without
   * an Origin header (programs, not pages) and farcall.v1 on a listener with an authkey are
   * not affected. @default [] (same origin only)
   */
  allowOrigins?: string[];
  /**
   * Host names (as in the Host header, without port: "myapp.example") that a listener bound to
   * loopback and asking for no key also answers. Such a listener answers HTTP requests and
   * WebSocket upgrades addressed to a loopback name only (localhost, *.localhost, 127.x.x.x,
   * [::1]): a page whose DNS name an attacker pointed at 127.0.0.1 (DNS rebinding) would
   * otherwise be its same-origin caller. Listeners with a key or bound beyond loopback are not
   * affected. @default [] (loopback names only)
   */
  allowHosts?: string[];
  /**
   * How long a farcall/1 session whose client asked for resumption (connect()'s `resume`)
   * outlives its connection (ms), keeping its calls, callbacks, references and streams for
   * the client to resume; 0 keeps none. Off by default because a waiting session holds the
   * server's memory and its handlers' state for a client that may never come back: the
   * operator chooses that trade. @default 0
   */
  resumeWindowMs?: number;
  /** farcall/1 sessions waiting for their client at once, server-wide; a drop past it ends the session as without resumption. @default 1000 */
  maxDetachedSessions?: number;
}

export interface ConnectOptions extends ConnectionLimits, ResumeBufferLimits {
  /** The server's shared secret. @default none */
  authkey?: string | Uint8Array;
  /** Trust and client certificate for `tls://` URLs. */
  tls?: ClientTlsOptions;
  /** Default per-call timeout in ms; 0 for none (keepalive still catches dead servers). @default 0 */
  timeout?: number;
  /** Time for one connection attempt, handshake included, and the longest a call without a deadline waits for a connection (ms). @default 10000 */
  connectTimeoutMs?: number;
  /** Reconnection after the link drops: capped exponential backoff; false to stay down. @default { initialDelayMs: 100, maxDelayMs: 5000 } */
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number } | false;
  /**
   * With false, a call made while the client is disconnected fails at once with UNAVAILABLE
   * once a connection attempt has failed, instead of waiting for a reconnection (gRPC's
   * waitForReady); reconnection goes on in the background. Calls made while a session is
   * being replaced after the server's GOAWAY still wait; with `resume`, a call made while
   * the session waits for its resumption fails at once too. farcall/1 (tcp://, tls://, unix://,
   * ws://, wss://) and jsonrpc+ws://.
   * @default true
   */
  waitForReady?: boolean;
  /**
   * Ask for a resumable session (farcall/1 over tcp://, tls://, unix://, ws://, wss://): when
   * the connection drops, the client reconnects within the server's resumeWindowMs and gets
   * the same session back; calls in flight are answered, callbacks and streams go on, no
   * message lost or repeated. Without it, or against a server that keeps no sessions, a drop
   * fails what was in flight with UNAVAILABLE. @default false
   */
  resume?: boolean;
  /** Where connection events are logged; false for nowhere. @default stderr */
  logger?: Logger | false;
  /** What this side serves to the server over the same connection (its handlers' `context().remote()`). @default nothing */
  expose?: object;
  /**
   * Interceptors every outgoing call passes through, outermost first: `(call, next) => ...`;
   * see {@link ClientInterceptor}. @default none
   */
  use?: ClientInterceptor[];
  /** NATS credentials, TLS and call policy for `nats://` URLs; see {@link NatsOptions}. @default none */
  nats?: NatsOptions;
  /** For `pymanager://` URLs: `classes`, a program's own Python classes replies may hold. @default none */
  pymanager?: PyManagerConnectOption;
}

/** Defaults of {@link ConnectionLimits}, the same on both ends. */
const LIMIT_DEFAULTS = {
  maxFrameBytes: 16 * 1024 * 1024,
  maxDepth: 64,
  keepaliveIntervalMs: 15_000,
  keepaliveTimeoutMs: 10_000,
  maxWriteBufferBytes: 64 * 1024 * 1024,
  maxReferences: 10_000,
};

/**
 * Defaults of {@link ResumeBufferLimits}: 10,000 messages is a burst of callbacks fired while
 * a client reconnects; 8 MiB bounds it in bytes, and keeps the server's whole cap on bytes
 * held for peers (maxServerWriteBufferBytes, which waiting sessions are counted against)
 * shared by at least 32 of them.
 */
const RESUME_DEFAULTS = Object.freeze({ resumeBufferBytes: 8 * 1024 * 1024, resumeBufferFrames: 10_000 });
/** Both server-wide buffer caps: four connections' worth of maxWriteBufferBytes; sixteen maxFrameBytes frames arriving at once, so reads and writes together stay within 512 MiB (a constant: esbuild leaves 256 * 1024 * 1024 unfolded and counts it as a possible side effect, which would keep SERVE_DEFAULTS). */
const MAX_SERVER_BUFFER_BYTES = 256 * 1024 * 1024;

export const SERVE_DEFAULTS = /* @__PURE__ */ Object.freeze(/* @__PURE__ */ Object.assign({}, LIMIT_DEFAULTS, RESUME_DEFAULTS, {
  listen: "tcp://127.0.0.1:4343",
  handshakeTimeoutMs: 10_000,
  idleTimeoutMs: 300_000,
  maxConnections: 10_000,
  maxCallsInFlight: 10_000,
  /** Five connections' worth of maxCallsInFlight: many busy clients, not one per call. */
  maxServerCallsInFlight: 50_000,
  maxServerWriteBufferBytes: MAX_SERVER_BUFFER_BYTES,
  maxServerReadBufferBytes: MAX_SERVER_BUFFER_BYTES,
  exposeErrorStacks: false,
  maxBodyBytes: MAX_BODY_BYTES,
  maxBatch: MAX_BATCH,
  maxXmlElements: MAX_XML_ELEMENTS,
  /**
   * Long enough for a 16 MiB body over a link of about 2.5 Mbit/s; short enough that a
   * client dribbling bytes (slow loris) holds a connection for one minute at most.
   */
  requestTimeoutMs: 60_000,
  jsonRpcOverTcp: "auto" as JsonRpcOverTcp,
  explorer: true,
  resumeWindowMs: 0,
  maxDetachedSessions: 1000,
}));

/** The resume bounds of `o`, checked; bytes at most the connection's maxWriteBufferBytes. */
export function resolveResumeBuffer(o: ResumeBufferLimits, maxWriteBufferBytes: number): { bufferBytes: number; bufferFrames: number } {
  const bufferBytes = checkInteger("resumeBufferBytes", o.resumeBufferBytes ?? Math.min(RESUME_DEFAULTS.resumeBufferBytes, maxWriteBufferBytes), 1024);
  if (bufferBytes > maxWriteBufferBytes) throw new RangeError(`resumeBufferBytes ${bufferBytes} exceeds maxWriteBufferBytes ${maxWriteBufferBytes}: what is kept is sent again in one go`);
  return { bufferBytes, bufferFrames: checkInteger("resumeBufferFrames", o.resumeBufferFrames ?? RESUME_DEFAULTS.resumeBufferFrames, 1) };
}

export const CONNECT_DEFAULTS = Object.freeze({
  ...LIMIT_DEFAULTS,
  ...RESUME_DEFAULTS,
  timeout: 0,
  connectTimeoutMs: 10_000,
  reconnectInitialDelayMs: 100,
  reconnectMaxDelayMs: 5_000,
  maxCallsInFlight: 10_000,
});

/** ConnectionLimits with every default applied. */
export type ResolvedLimits = Required<ConnectionLimits>;

/** The limits of a connection with defaults applied and checked. */
export function resolveLimits(o: ConnectionLimits, defaults: typeof LIMIT_DEFAULTS): ResolvedLimits {
  return {
    maxFrameBytes: checkInteger("maxFrameBytes", o.maxFrameBytes ?? defaults.maxFrameBytes, 64, 0xffffffff),
    maxDepth: checkInteger("maxDepth", o.maxDepth ?? defaults.maxDepth, 4, 10_000),
    keepaliveIntervalMs: checkInteger("keepaliveIntervalMs", o.keepaliveIntervalMs ?? defaults.keepaliveIntervalMs, 0),
    keepaliveTimeoutMs: checkInteger("keepaliveTimeoutMs", o.keepaliveTimeoutMs ?? defaults.keepaliveTimeoutMs, 1),
    maxWriteBufferBytes: checkInteger("maxWriteBufferBytes", o.maxWriteBufferBytes ?? defaults.maxWriteBufferBytes, 1024),
    maxReferences: checkInteger("maxReferences", o.maxReferences ?? defaults.maxReferences, 0),
  };
}
