/**
 * connect()'s options, resolved and checked once, before any family sees them: whatever the
 * URL, a bad value fails naming its option, and each family's dialer takes the result.
 */
import { checkClientInterceptors, type ClientInterceptor } from "./core/client-interceptor.js";
import { resolveLogger, type Logger } from "./core/logger.js";
import { checkInteger } from "./core/option-checks.js";
import { keyBytes } from "./core/authkey.js";
import { CONNECT_DEFAULTS, resolveLimits, resolveResumeBuffer, type ClientTlsOptions, type ConnectOptions, type ResolvedLimits } from "./options.js";
import type { NatsOptions } from "./nats/options.js";
import type { PyManagerConnectOption } from "./pymanager/one-port-option.js";

/** ConnectOptions with defaults applied and checked. */
export interface ResolvedConnect {
  limits: ResolvedLimits;
  key: Uint8Array | undefined;
  tls: ClientTlsOptions | undefined;
  /** Default per-call timeout (ms); 0 for none. */
  timeout: number;
  connectTimeoutMs: number;
  /** Backoff between reconnection attempts; undefined when the client stays down. */
  reconnect: { initialDelayMs: number; maxDelayMs: number } | undefined;
  /** Calls wait for a connection while disconnected; false fails them at once (UNAVAILABLE). */
  waitForReady: boolean;
  logger: Logger;
  expose: object | undefined;
  /** Interceptors of every outgoing call; undefined when there are none. */
  use: readonly ClientInterceptor[] | undefined;
  /** The bounds of resumable sessions, when the client asks for them. */
  resume: { bufferBytes: number; bufferFrames: number } | undefined;
  /** Checked by the NATS family, the only one it means anything to. */
  nats: NatsOptions | undefined;
  /** Checked by the manager family's dialer (pymanager://), so a browser build loads none of it. */
  pymanager: PyManagerConnectOption | undefined;
}

/** Applies connect()'s defaults and checks every option; throws TypeError or RangeError naming a bad one. */
export function resolveConnectOptions(options: ConnectOptions): ResolvedConnect {
  const limits = resolveLimits(options, CONNECT_DEFAULTS);
  return {
    limits,
    key: options.authkey !== undefined ? keyBytes(options.authkey) : undefined,
    tls: options.tls,
    timeout: checkInteger("timeout", options.timeout ?? CONNECT_DEFAULTS.timeout, 0),
    connectTimeoutMs: checkInteger("connectTimeoutMs", options.connectTimeoutMs ?? CONNECT_DEFAULTS.connectTimeoutMs, 1),
    reconnect:
      options.reconnect === false
        ? undefined
        : {
            initialDelayMs: checkInteger("reconnect.initialDelayMs", options.reconnect?.initialDelayMs ?? CONNECT_DEFAULTS.reconnectInitialDelayMs, 1),
            maxDelayMs: checkInteger("reconnect.maxDelayMs", options.reconnect?.maxDelayMs ?? CONNECT_DEFAULTS.reconnectMaxDelayMs, 1),
          },
    waitForReady: checkBoolean("waitForReady", options.waitForReady ?? true),
    logger: resolveLogger(options.logger),
    expose: options.expose,
    use: checkClientInterceptors(options.use),
    resume: checkBoolean("resume", options.resume ?? false) ? resolveResumeBuffer(options, limits.maxWriteBufferBytes) : undefined,
    nats: options.nats,
    pymanager: options.pymanager,
  };
}

function checkBoolean(name: string, value: unknown): boolean {
  if (typeof value !== "boolean") throw new TypeError(`${name} must be true or false, got ${typeof value}`);
  return value;
}
