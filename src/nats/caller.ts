/**
 * connect("nats://host:4222/orders"): each call is a NATS request on `orders.<method>`,
 * answered by whichever instance NATS picks; a notification is a publish; a batch is one
 * request on `orders.$batch`.
 *
 * Failures: no instance listening is UNAVAILABLE at once (NATS's no-responders status).
 * NATS cannot tell a caller that the instance holding its call died, so every call has a
 * deadline (`nats.callTimeoutMs` when it sets none) and ends DEADLINE_EXCEEDED at worst.
 * A method the server marks idempotent (describeMethod(fn, { idempotent: true })) is sent
 * again when an attempt goes unanswered for `nats.attemptTimeoutMs`, up to `nats.attempts`
 * times within its deadline; the client learns which methods those are by asking the
 * service once (`orders.$idempotent`) before its first call.
 *
 * Every call goes through a farcall/1 Peer: one-shot calls through the one Peer of
 * call-link.ts, whose frames NATS carries as requests; calls of a session through that
 * session's Peer. A call passing a function, a ref() object or a stream, or any call of a
 * client that exposes something (`expose`), opens a session pinned to one instance (a
 * request on `orders.$session`), and from then on every call of the client goes through it.
 * A plain call whose result holds references joins the reference-only session the instance
 * made for them. See session.ts.
 */
import type { NatsConnection } from "@nats-io/transport-node";
import { createJsonCodec } from "../codecs/json-ext.js";
import { createMsgpackCodec } from "../codecs/msgpack.js";
import type { Codec } from "../core/codec.js";
import { InterceptingCaller } from "../core/client-interceptor.js";
import { exposedPipeline } from "../core/pipeline.js";
import { RpcError } from "../core/errors.js";
import type { Peer } from "../core/peer.js";
import * as M from "../core/messages.js";
import { stateOf, type BatchedCall, type Caller, type CallOptions } from "../core/remote.js";
import { CONNECT_DEFAULTS } from "../options.js";
import type { ResolvedConnect } from "../connect-options.js";
import { callSubject, formatNatsUrl, NATS_BATCH, NATS_IDEMPOTENT, NATS_SESSION, natsService } from "./address.js";
import { NatsCallLink, NOT_SENT } from "./call-link.js";
import { openNats } from "./connection.js";
import { loadNatsClient } from "./loader.js";
import { resolveNatsPolicy, type NatsCallPolicy, type NatsOptions } from "./options.js";
import { readServiceApi, type InstanceHealth } from "./service-api.js";
import { outsideSession } from "./session.js";
import { NatsSessionClient, type SessionClientConfig } from "./session-client.js";
import { metaHeader } from "../core/call-headers.js";

type NatsModule = Awaited<ReturnType<typeof loadNatsClient>>;

/** The settings of a NATS caller, from connect()'s options. */
interface NatsCallerConfig {
  codec: Codec;
  json: Codec;
  /** Default per-call timeout, ms; 0 for `nats.callTimeoutMs`. */
  timeout: number;
  connectTimeoutMs: number;
  /** Keep reconnecting to NATS after the link drops. */
  reconnect: boolean;
  maxFrameBytes: number;
  nats: NatsOptions | undefined;
  /** What the client's sessions need; a dispatcher (`expose`) makes every call go through one. */
  sessions: SessionClientConfig;
}

export class NatsCaller implements Caller {
  /** Methods the service marks idempotent; undefined until learned. */
  private idempotent: ReadonlySet<string> | undefined;
  private learning: Promise<void> | undefined;
  private closed = false;
  private readonly sessions: NatsSessionClient;
  /** The one-shot calls' Peer and its NATS transport. */
  private readonly link: NatsCallLink;
  /** The full session being opened. */
  private opening: Promise<Peer> | undefined;

  constructor(
    private readonly nc: NatsConnection,
    nats: NatsModule,
    private readonly service: string,
    where: string,
    private readonly policy: NatsCallPolicy,
    private readonly cfg: NatsCallerConfig,
  ) {
    this.sessions = new NatsSessionClient(nc, () => nats.createInbox(), cfg.sessions);
    this.link = new NatsCallLink(nc, () => nats.headers(), () => nats.createInbox(), this.sessions, {
      codec: cfg.codec,
      service,
      where,
      attempts: policy.attempts,
      attemptTimeoutMs: policy.attemptTimeoutMs,
      heartbeatMs: policy.heartbeatMs,
      maxFrameBytes: cfg.maxFrameBytes,
      logger: cfg.sessions.logger,
    });
  }

  call(target: string, args: unknown[], options: CallOptions): Promise<unknown> {
    let subject: string;
    try {
      subject = this.subjectOf(target);
    } catch (err) {
      return Promise.reject(err);
    }
    const deadline = this.deadlineOf(options);
    if (this.pinned) return this.inSession(target, args, deadline, options);
    // Whether a call may be sent twice is the service's to say: asked once, before the first call.
    if (this.policy.attempts > 1 && this.idempotent === undefined) return this.learnThenCall(subject, target, args, deadline, options);
    return this.oneShot(subject, target, args, deadline, options);
  }

  notify(target: string, args: unknown[], options: CallOptions, done?: (error?: RpcError) => void): void {
    let outcome: RpcError | undefined | typeof NOT_SENT;
    try {
      const subject = this.subjectOf(target);
      outcome = this.pinned ? NOT_SENT : this.link.notify(subject, target, args, this.metaOf(options));
    } catch (err) {
      outcome = RpcError.from(err);
    }
    if (outcome === NOT_SENT) {
      // Pinned, or the Peer could not encode it as it is: a session, if that is what it lacks.
      const verdict = this.pinned ? "session" : outsideSession(this.cfg.codec, [M.NOTIFY, target, args]);
      if (verdict === "session") {
        this.session(this.deadlineOf(options)).then(
          (peer) => peer.notify(target, args, options.meta, done),
          (err: unknown) => done?.(RpcError.from(err)),
        );
        return;
      }
      outcome = verdict === "plain" ? new RpcError("UNAVAILABLE", `${target}: the client is closed`) : verdict;
    }
    if (done) {
      const error = outcome;
      queueMicrotask(() => done(error));
    }
  }

  /** One request on `service.$batch`, each member with its own deadline; never sent twice. */
  batch(calls: readonly BatchedCall[]): void {
    let unsent: readonly BatchedCall[] = calls;
    if (!this.pinned) {
      try {
        for (const c of calls) this.subjectOf(c.target);
        unsent = this.link.batch(`${this.service}.${NATS_BATCH}`, calls, calls.map((c) => this.deadlineOf(c.options)));
      } catch (err) {
        const error = RpcError.from(err);
        for (const c of calls) {
          if (c.kind === "call") c.reject(error);
          else c.done?.(error);
        }
        return;
      }
    }
    // A session multiplexes: its members go one by one, in order. So do members that need one,
    // or that the Peer would not send (each then fails as a call of its own would).
    for (const c of unsent) {
      if (c.kind === "call") this.call(c.target, c.args, c.options).then(c.resolve, c.reject);
      else this.notify(c.target, c.args, c.options, c.done);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const reason = new RpcError("UNAVAILABLE", "the client was closed");
    this.sessions.close(reason);
    this.link.peer.close(reason);
    if (this.sessions.used) {
      try {
        await this.nc.flush(); // so the instances hear that the sessions ended
      } catch {
        // NATS is gone: the instances' keepalive ends the sessions.
      }
    }
    await this.nc.close();
  }

  /** What every instance that answers the Services API within `windowMs` says about itself (none: an empty list). */
  instances(windowMs = this.policy.healthWindowMs): Promise<InstanceHealth[]> {
    if (this.closed) return Promise.reject(new RpcError("UNAVAILABLE", "instances(): the client is closed"));
    return readServiceApi(this.nc, this.service, windowMs);
  }

  /** True when calls go through the full session: one is open, or the client exposes something. */
  private get pinned(): boolean {
    return this.sessions.current !== undefined || this.cfg.sessions.pipeline.dispatcher !== undefined;
  }

  /** A call through the one-shot Peer; one that passes references goes through a session instead. */
  private oneShot(subject: string, target: string, args: unknown[], deadline: number, options: CallOptions): Promise<unknown> {
    let meta: string | undefined;
    try {
      meta = this.metaOf(options);
    } catch (err) {
      return Promise.reject(err);
    }
    const retry = this.idempotent?.has(target) === true;
    const reply = this.link.call(subject, target, args, deadline, options.signal, meta, retry);
    // Sent, or refused for a reason of its own (aborted, past its deadline): that is the outcome.
    if (this.link.handed || outsideSession(this.cfg.codec, [M.CALL, 0, target, args]) !== "session") return reply;
    // Functions, ref() objects and streams need one partner for their lifetime: a session.
    reply.catch(ignore);
    return this.inSession(target, args, deadline, options);
  }

  private async learnThenCall(subject: string, target: string, args: unknown[], deadline: number, options: CallOptions): Promise<unknown> {
    this.learning ??= this.learn(deadline).finally(() => (this.learning = undefined));
    await this.learning;
    return this.oneShot(subject, target, args, deadline, options);
  }

  /** Asks the service which methods are idempotent, within the call's deadline; unknown for now when nobody answers. */
  private async learn(deadline: number): Promise<void> {
    const wait = Math.min(this.policy.attemptTimeoutMs, deadline - Date.now());
    if (wait <= 0) return;
    try {
      const names = await this.link.call(`${this.service}.${NATS_IDEMPOTENT}`, NATS_IDEMPOTENT, [], Date.now() + wait, undefined, undefined, false);
      if (Array.isArray(names)) this.idempotent = new Set(names.filter((n): n is string => typeof n === "string"));
    } catch {
      // No instance yet, or an older server: unknown for now, asked again on the next call.
    }
  }

  private async inSession(target: string, args: unknown[], deadline: number, options: CallOptions): Promise<unknown> {
    return (await this.session(deadline)).call(target, args, deadline, options.signal, options.meta);
  }

  /** The full session: the open one, or one opened now on whichever instance answers `$session`. */
  private session(deadline: number): Promise<Peer> {
    const current = this.sessions.current;
    if (current) return Promise.resolve(current);
    this.opening ??= this.link.openSession(`${this.service}.${NATS_SESSION}`, NATS_SESSION, deadline).finally(() => (this.opening = undefined));
    return this.opening;
  }

  private subjectOf(target: string): string {
    if (this.closed) throw new RpcError("UNAVAILABLE", `${target}: the client is closed`);
    const subject = callSubject(this.service, target);
    if (subject === undefined) throw new RpcError("METHOD_NOT_FOUND", `${JSON.stringify(target)} cannot be called over NATS: a method path must not hold spaces, '*' or '>'`);
    return subject;
  }

  private deadlineOf(options: CallOptions): number {
    const timeout = options.timeout ?? this.cfg.timeout;
    return Date.now() + (timeout > 0 ? timeout : this.policy.callTimeoutMs);
  }

  /** The `Farcall-Meta` header of a call's metadata; RESOURCE_EXHAUSTED when it is too large. */
  private metaOf(options: CallOptions): string | undefined {
    const meta = options.meta;
    if (meta === undefined) return undefined;
    for (const _ in meta) return metaHeader(meta, this.cfg.json);
    return undefined;
  }
}

function ignore(): void {}

/** Connects to NATS as a caller of the service named by `url`, with connect()'s options. */
export async function natsCaller(url: string, options: ResolvedConnect): Promise<NatsCaller> {
  const { limits } = options;
  if (options.tls) throw new TypeError("tls options were given for a nats:// address: TLS to NATS goes in nats.tls");
  const codec = createMsgpackCodec({ maxDepth: limits.maxDepth });
  const logger = options.logger;
  const policy = resolveNatsPolicy(options.nats);
  // NATS never tells a session that its instance died silently (a lost host): the ping does.
  const keepaliveMs = policy.sessionKeepaliveMs;
  const cfg: NatsCallerConfig = {
    codec,
    json: createJsonCodec({ extended: true, maxDepth: limits.maxDepth }),
    timeout: options.timeout,
    connectTimeoutMs: options.connectTimeoutMs,
    reconnect: options.reconnect !== undefined,
    maxFrameBytes: limits.maxFrameBytes,
    nats: options.nats,
    sessions: {
      codec,
      limits: { maxCallsInFlight: CONNECT_DEFAULTS.maxCallsInFlight, keepaliveIntervalMs: keepaliveMs, keepaliveTimeoutMs: keepaliveMs, keepaliveOption: "nats.sessionKeepaliveMs", idleTimeoutMs: 0, maxReferences: limits.maxReferences },
      pipeline: exposedPipeline(options.expose, logger),
      maxFrameBytes: limits.maxFrameBytes,
      logger,
    },
  };
  const address = natsService(url);
  const nats = await loadNatsClient();
  const nc = await openNats(address, cfg.nats, { name: `farcall client ${address.name}`, timeoutMs: cfg.connectTimeoutMs, reconnect: cfg.reconnect });
  return new NatsCaller(nc, nats, address.name, formatNatsUrl(address), policy, cfg);
}

/**
 * What every instance of a NATS service says about itself in NATS's Services API
 * (`$SRV.INFO` and `$SRV.STATS`) within `windowMs` (default `nats.healthWindowMs`): instance
 * id, version, host and pid, uptime, calls served, failed and in flight, sessions, methods.
 * @example console.log((await natsInstances(remote)).length, "instances answer")
 */
export function natsInstances(remote: unknown, windowMs?: number): Promise<InstanceHealth[]> {
  const { caller: outer } = stateOf(remote, "natsInstances()");
  const caller = outer instanceof InterceptingCaller ? outer.inner : outer;
  if (!(caller instanceof NatsCaller)) return Promise.reject(new TypeError("natsInstances() needs a remote connected to a nats:// URL"));
  return caller.instances(windowMs);
}
