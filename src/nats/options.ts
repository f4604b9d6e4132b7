/**
 * The `nats` option block of serve(), connect() and the demo's NATS store: NATS's own
 * authentication and TLS, passed through to the NATS client, and the call policy farcall
 * keeps over NATS (default deadline, retries of idempotent methods, heartbeat, the window of
 * Services API requests, session keepalive), and the version an instance announces.
 */
import { checkInteger } from "../core/option-checks.js";

/** TLS to the NATS servers (the NATS client's own TLS settings: files or PEM text). */
export interface NatsTlsOptions {
  /** PEM file of the CA that signed the NATS servers' certificates. */
  caFile?: string;
  /** PEM file of a client certificate, for servers that verify clients. */
  certFile?: string;
  /** PEM file of the client certificate's key. */
  keyFile?: string;
  /** The same as PEM text instead of files. */
  ca?: string;
  cert?: string;
  key?: string;
  /** Start TLS before NATS's INFO; only for servers configured with `handshake_first`. @default false */
  handshakeFirst?: boolean;
}

/**
 * NATS connection settings and the call policy over NATS. Credentials in the URL
 * (`nats://user:pass@host/svc`, `nats://token@host/svc`) are used when none is given here.
 */
export interface NatsOptions {
  /** User name for NATS user/password authentication. @default none */
  user?: string;
  /** Password for NATS user/password authentication. @default none */
  pass?: string;
  /** Token for NATS token authentication. @default none */
  token?: string;
  /** File holding an NKey seed (`SU...`), for NKey authentication. @default none */
  nkeyFile?: string;
  /** A credentials file (`.creds`: a user JWT and its NKey seed), for decentralised JWT authentication. @default none */
  credentialsFile?: string;
  /** TLS to the NATS servers. @default none (plain TCP unless the server requires TLS) */
  tls?: NatsTlsOptions;
  /** The connection's name in NATS monitoring. @default "farcall <service>" */
  name?: string;
  /**
   * The deadline of a call that sets none, ms. NATS cannot tell a caller that the instance
   * holding its call died, so over NATS every call has a deadline.
   * @default 30000
   */
  callTimeoutMs?: number;
  /** Attempts of a call to a method the server marks idempotent, the first included; 1 never retries. @default 3 */
  attempts?: number;
  /**
   * How long one attempt of an idempotent call waits for its answer before the call is sent
   * again (NATS picks the instance); the last attempt waits until the call's deadline.
   * @default 2000
   */
  attemptTimeoutMs?: number;
  /**
   * How often an instance tells the caller of each call it is still running that it is alive,
   * ms. A client gives up on a call that heard nothing from its instance (no answer, no
   * heartbeat) for 2 to 2.5 heartbeats, UNAVAILABLE (or sends it again, if its method is
   * idempotent), rather than waiting for the call's deadline: an instance killed, stopped
   * or cut off is noticed within 2.5 × heartbeatMs. Set the same value on both sides; an
   * instance whose event loop is blocked for over 2 heartbeats is taken for stopped.
   * @default 1000
   */
  heartbeatMs?: number;
  /** How long a Services API request (natsInstances(), `farcall list`) collects answers, ms. @default 500 */
  healthWindowMs?: number;
  /** The semantic version an instance announces in NATS's Services API (`$SRV.INFO`). @default "1.0.0" */
  version?: string;
  /**
   * Keepalive of sessions (callbacks, references, streams), both ends: a side that heard
   * nothing for this long pings, and ends the session UNAVAILABLE when the ping goes
   * unanswered for as long again. An instance that is gone is usually noticed sooner, at the
   * first frame sent to it (NATS answers no-responders).
   * @default 2000
   */
  sessionKeepaliveMs?: number;
}

/** Defaults of {@link NatsOptions}. */
export const NATS_DEFAULTS = Object.freeze({
  callTimeoutMs: 30_000,
  attempts: 3,
  attemptTimeoutMs: 2_000,
  heartbeatMs: 1_000,
  healthWindowMs: 500,
  sessionKeepaliveMs: 2_000,
  version: "1.0.0",
});

/** The call policy of a NATS client, checked. */
export interface NatsCallPolicy {
  callTimeoutMs: number;
  attempts: number;
  attemptTimeoutMs: number;
  heartbeatMs: number;
  healthWindowMs: number;
  sessionKeepaliveMs: number;
  version: string;
}

/** The call policy from `options`, defaults applied; RangeError naming a bad value. */
export function resolveNatsPolicy(options: NatsOptions = {}): NatsCallPolicy {
  return {
    callTimeoutMs: checkInteger("nats.callTimeoutMs", options.callTimeoutMs ?? NATS_DEFAULTS.callTimeoutMs, 1),
    attempts: checkInteger("nats.attempts", options.attempts ?? NATS_DEFAULTS.attempts, 1, 100),
    attemptTimeoutMs: checkInteger("nats.attemptTimeoutMs", options.attemptTimeoutMs ?? NATS_DEFAULTS.attemptTimeoutMs, 1),
    heartbeatMs: checkInteger("nats.heartbeatMs", options.heartbeatMs ?? NATS_DEFAULTS.heartbeatMs, 10),
    healthWindowMs: checkInteger("nats.healthWindowMs", options.healthWindowMs ?? NATS_DEFAULTS.healthWindowMs, 1),
    sessionKeepaliveMs: checkInteger("nats.sessionKeepaliveMs", options.sessionKeepaliveMs ?? NATS_DEFAULTS.sessionKeepaliveMs, 10),
    version: checkVersion(options.version ?? NATS_DEFAULTS.version),
  };
}

// The Services API accepts semantic versions only (semver.org: MAJOR.MINOR.PATCH, optional pre-release and build).
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

function checkVersion(version: unknown): string {
  if (typeof version !== "string" || !SEMVER.test(version)) throw new TypeError(`nats.version must be a semantic version such as "1.2.0", got ${JSON.stringify(version)}`);
  return version;
}
