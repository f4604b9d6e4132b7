/**
 * serve()'s options, resolved and checked once, before anything listens: the server-wide
 * settings, and one policy per listener (its `listen` entry over the server-wide defaults).
 * A bad value fails naming its option, and for a listener's own, the listener.
 */
import { checkPyManagerOnPort, type PyManagerOnPort } from "./pymanager/one-port-option.js";
import type { IncomingMessage } from "node:http";
import type { CallLog } from "./core/call-log.js";
import { resolveLogger, type Logger } from "./core/logger.js";
import { checkBoolean, checkInteger } from "./core/option-checks.js";
import type { PeerLimits } from "./core/peer-options.js";
import type { Interceptor } from "./core/pipeline.js";
import { AllowList } from "./net/allow-list.js";
import { keyBytes } from "./core/authkey.js";
import type { ResumeSettings } from "./farcall/resume-registry.js";
import {
  resolveLimits, resolveResumeBuffer, SERVE_DEFAULTS,
  type BearerAuth, type JsonRpcOverTcp, type ListenEntry, type ResolvedLimits, type ServeOptions, type ServerTlsOptions,
} from "./options.js";
import type { NatsOptions } from "./nats/options.js";

/** The options a listen entry may set beside `url`. */
export type ListenOption = Exclude<keyof ListenEntry, "url">;

/** Every option a listen entry may set, for the message naming an unknown one. */
const LISTEN_OPTIONS: readonly ListenOption[] = ["authkey", "auth", "allow", "tls", "use", "jsonRpcOverTcp", "pymanager"];

const JSON_RPC_OVER_TCP: readonly JsonRpcOverTcp[] = ["auto", "trusted", "off"];

/** One listener's policy: its entry's options over the server-wide ones, checked. */
export interface ListenerPolicy {
  /** The URL as given. */
  readonly url: string;
  /** The listener in messages: `listen[1] (pymanager://0.0.0.0:4344)`. */
  readonly name: string;
  /** The options the entry set itself, so a family can refuse those that mean nothing to it. */
  readonly own: readonly ListenOption[];
  readonly key: Uint8Array | undefined;
  readonly auth: BearerAuth<IncomingMessage> | undefined;
  readonly allow: AllowList | undefined;
  readonly tls: ServerTlsOptions | undefined;
  /** This listener's interceptors, run inside the server's; undefined when it has none. */
  readonly use: readonly Interceptor[] | undefined;
  readonly jsonRpcOverTcp: JsonRpcOverTcp;
  /** Python's manager clients on a one-port listener, when the entry opted in. */
  readonly pymanager: PyManagerOnPort | undefined;
}

/** ServeOptions with defaults applied and checked. */
export interface ResolvedServe {
  readonly logger: Logger;
  readonly limits: ResolvedLimits;
  /** The limits of every session a listener opens. */
  readonly peerLimits: PeerLimits;
  readonly handshakeTimeoutMs: number;
  readonly maxConnections: number;
  readonly maxServerCallsInFlight: number;
  readonly maxServerWriteBufferBytes: number;
  readonly maxServerReadBufferBytes: number;
  readonly maxBodyBytes: number;
  readonly maxBatch: number;
  readonly maxXmlElements: number;
  readonly requestTimeoutMs: number;
  readonly exposeErrorStacks: boolean;
  /** Serve the explorer page on HTTP endpoints. */
  readonly explorer: boolean;
  /** Page origins allowed to open keyless WebSockets, besides each listener's own. */
  readonly allowOrigins: ReadonlySet<string>;
  readonly allowHosts: ReadonlySet<string>;
  readonly callLog: CallLog | undefined;
  /** The server-wide interceptors, checked by the call pipeline. */
  readonly use: Interceptor[] | undefined;
  readonly nats: NatsOptions | undefined;
  /** farcall/1 session resumption; undefined when off (resumeWindowMs 0). */
  readonly resume: ResumeSettings | undefined;
  /** In `listen` order, which is the order of `server.addresses`. */
  readonly listeners: readonly ListenerPolicy[];
}

/** Applies serve()'s defaults and checks every option and every listen entry. */
export function resolveServeOptions(options: ServeOptions): ResolvedServe {
  const limits = resolveLimits(options, SERVE_DEFAULTS);
  const defaults = resolveDefaults(options);
  const entries = Array.isArray(options.listen) ? options.listen : [options.listen ?? SERVE_DEFAULTS.listen];
  if (entries.length === 0) throw new TypeError("listen must name at least one address");
  return {
    logger: resolveLogger(options.logger),
    limits,
    peerLimits: {
      maxCallsInFlight: checkInteger("maxCallsInFlight", options.maxCallsInFlight ?? SERVE_DEFAULTS.maxCallsInFlight, 1),
      keepaliveIntervalMs: limits.keepaliveIntervalMs,
      keepaliveTimeoutMs: limits.keepaliveTimeoutMs,
      idleTimeoutMs: checkInteger("idleTimeoutMs", options.idleTimeoutMs ?? SERVE_DEFAULTS.idleTimeoutMs, 0),
      maxReferences: limits.maxReferences,
    },
    handshakeTimeoutMs: checkInteger("handshakeTimeoutMs", options.handshakeTimeoutMs ?? SERVE_DEFAULTS.handshakeTimeoutMs, 1),
    maxConnections: checkInteger("maxConnections", options.maxConnections ?? SERVE_DEFAULTS.maxConnections, 1),
    maxServerCallsInFlight: checkInteger("maxServerCallsInFlight", options.maxServerCallsInFlight ?? SERVE_DEFAULTS.maxServerCallsInFlight, 1),
    maxServerWriteBufferBytes: checkInteger("maxServerWriteBufferBytes", options.maxServerWriteBufferBytes ?? SERVE_DEFAULTS.maxServerWriteBufferBytes, 1024),
    maxServerReadBufferBytes: checkInteger("maxServerReadBufferBytes", options.maxServerReadBufferBytes ?? SERVE_DEFAULTS.maxServerReadBufferBytes, 1024),
    maxBodyBytes: checkInteger("maxBodyBytes", options.maxBodyBytes ?? SERVE_DEFAULTS.maxBodyBytes, 1),
    maxBatch: checkInteger("maxBatch", options.maxBatch ?? SERVE_DEFAULTS.maxBatch, 1),
    maxXmlElements: checkInteger("maxXmlElements", options.maxXmlElements ?? SERVE_DEFAULTS.maxXmlElements, 1),
    requestTimeoutMs: checkInteger("requestTimeoutMs", options.requestTimeoutMs ?? SERVE_DEFAULTS.requestTimeoutMs, 1),
    exposeErrorStacks: options.exposeErrorStacks ?? SERVE_DEFAULTS.exposeErrorStacks,
    explorer: checkBoolean("explorer", options.explorer ?? SERVE_DEFAULTS.explorer),
    allowOrigins: checkOrigins(options.allowOrigins ?? []),
    allowHosts: checkHosts(options.allowHosts ?? []),
    callLog: options.callLog,
    use: options.use,
    nats: options.nats,
    resume: resolveResume(options, limits.maxWriteBufferBytes),
    listeners: entries.map((entry, i) => resolveEntry(entry, i, defaults)),
  };
}

/** Window (ms) past which resumeWindowMs is surely a mistake: a day. */
const MAX_RESUME_WINDOW_MS = 86_400_000;

function resolveResume(options: ServeOptions, maxWriteBufferBytes: number): ResumeSettings | undefined {
  const windowMs = checkInteger("resumeWindowMs", options.resumeWindowMs ?? SERVE_DEFAULTS.resumeWindowMs, 0, MAX_RESUME_WINDOW_MS);
  const maxDetached = checkInteger("maxDetachedSessions", options.maxDetachedSessions ?? SERVE_DEFAULTS.maxDetachedSessions, 0);
  const buffer = resolveResumeBuffer(options, maxWriteBufferBytes);
  return windowMs === 0 ? undefined : { windowMs, maxDetached, ...buffer };
}

/** The server-wide values of the options a listen entry may override, checked. */
type Defaults = Omit<ListenerPolicy, "url" | "name" | "own" | "use" | "pymanager">;

function resolveDefaults(options: ServeOptions): Defaults {
  return {
    key: checkKey(options.authkey, "authkey"),
    auth: checkAuth(options.auth, "auth"),
    allow: options.allow !== undefined ? new AllowList(options.allow) : undefined,
    tls: options.tls,
    jsonRpcOverTcp: checkJsonRpcOverTcp(options.jsonRpcOverTcp ?? SERVE_DEFAULTS.jsonRpcOverTcp, "jsonRpcOverTcp"),
  };
}

/** The policy of `listen[index]`: a URL takes every default, an entry replaces those it sets. */
function resolveEntry(entry: string | ListenEntry, index: number, defaults: Defaults): ListenerPolicy {
  if (typeof entry === "string") return { url: entry, name: `listen[${index}] (${entry})`, own: [], use: undefined, pymanager: undefined, ...defaults };
  if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
    throw new TypeError(`listen[${index}] must be a URL string or a { url, ... } entry, got ${entry === null ? "null" : typeof entry}`);
  }
  if (typeof entry.url !== "string" || entry.url === "") throw new TypeError(`listen[${index}] needs a url string`);
  const name = `listen[${index}] (${entry.url})`;
  const own: ListenOption[] = [];
  for (const option of Object.keys(entry)) {
    if (option === "url" || (entry as unknown as Record<string, unknown>)[option] === undefined) continue;
    if (!(LISTEN_OPTIONS as readonly string[]).includes(option)) {
      throw new TypeError(`${name}: unknown option ${JSON.stringify(option)}; a listen entry takes url, ${LISTEN_OPTIONS.join(", ")}`);
    }
    own.push(option as ListenOption);
  }
  const has = (option: ListenOption): boolean => own.includes(option);
  return {
    url: entry.url,
    name,
    own,
    key: has("authkey") ? checkKey(entry.authkey ?? undefined, `${name}: authkey`) : defaults.key,
    auth: has("auth") ? checkAuth(entry.auth ?? undefined, `${name}: auth`) : defaults.auth,
    allow: has("allow") ? checkAllow(entry.allow ?? undefined, name) : defaults.allow,
    tls: has("tls") ? checkTls(entry.tls, name) : defaults.tls,
    use: has("use") ? checkUse(entry.use, name) : undefined,
    jsonRpcOverTcp: has("jsonRpcOverTcp") ? checkJsonRpcOverTcp(entry.jsonRpcOverTcp!, `${name}: jsonRpcOverTcp`) : defaults.jsonRpcOverTcp,
    pymanager: has("pymanager") ? checkPyManagerOnPort(entry.pymanager, name) : undefined,
  };
}

function checkKey(authkey: unknown, label: string): Uint8Array | undefined {
  if (authkey === undefined) return undefined;
  if (typeof authkey !== "string" && !(authkey instanceof Uint8Array)) throw new TypeError(`${label} must be a string or bytes, got ${typeof authkey}`);
  const key = keyBytes(authkey);
  if (key.length === 0) throw new RangeError(`${label} must not be empty`);
  return key;
}

function checkAuth(auth: unknown, label: string): BearerAuth<IncomingMessage> | undefined {
  if (auth !== undefined && typeof auth !== "function") throw new TypeError(`${label} must be a function (token, request) => boolean`);
  return auth as BearerAuth<IncomingMessage> | undefined;
}

function checkAllow(allow: unknown, name: string): AllowList | undefined {
  if (allow === undefined) return undefined;
  if (!Array.isArray(allow)) throw new TypeError(`${name}: allow must be an array of addresses and CIDR ranges`);
  try {
    return new AllowList(allow);
  } catch (err) {
    throw new TypeError(`${name}: ${(err as Error).message}`);
  }
}

function checkTls(tls: unknown, name: string): ServerTlsOptions {
  if (typeof tls !== "object" || tls === null || Array.isArray(tls)) throw new TypeError(`${name}: tls must be an object of TLS options ({ cert, key, ... })`);
  return tls as ServerTlsOptions;
}

function checkUse(use: unknown, name: string): readonly Interceptor[] | undefined {
  if (!Array.isArray(use) || use.some((fn) => typeof fn !== "function")) throw new TypeError(`${name}: use must be an array of interceptor functions (call, next) => result`);
  return use.length > 0 ? [...(use as Interceptor[])] : undefined;
}

function checkJsonRpcOverTcp(value: unknown, label: string): JsonRpcOverTcp {
  if (!(JSON_RPC_OVER_TCP as readonly unknown[]).includes(value)) throw new TypeError(`${label} must be "auto", "trusted" or "off", got ${String(value)}`);
  return value as JsonRpcOverTcp;
}

/** The allowHosts option as a set of lower-case names; each a bare host name, as Host carries it without port. */
function checkHosts(hosts: unknown): ReadonlySet<string> {
  if (!Array.isArray(hosts)) throw new TypeError(`allowHosts must be an array of host names such as "myapp.example", got ${JSON.stringify(hosts)}`);
  for (const host of hosts) {
    if (typeof host !== "string" || !/^[a-z0-9.-]+$/i.test(host)) throw new TypeError(`allowHosts: ${JSON.stringify(host)} is not a host name (letters, digits, dots and dashes; no scheme, port or path)`);
  }
  return new Set(hosts.map((h: string) => h.toLowerCase()));
}

/** The allowOrigins option as a set; each must be an origin exactly as a browser sends it. */
function checkOrigins(origins: unknown): ReadonlySet<string> {
  if (!Array.isArray(origins)) throw new TypeError(`allowOrigins must be an array of origins such as "http://localhost:5173", got ${JSON.stringify(origins)}`);
  for (const origin of origins) {
    let parsed: string | undefined;
    try {
      parsed = typeof origin === "string" ? new URL(origin).origin : undefined;
    } catch {
      parsed = undefined;
    }
    if (parsed !== origin) throw new TypeError(`allowOrigins: ${JSON.stringify(origin)} is not an origin (scheme://host[:port], no path), as a browser sends it`);
  }
  return new Set(origins as string[]);
}
