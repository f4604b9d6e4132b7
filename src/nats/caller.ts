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
 * Sessions: a call passing a function, a ref() object or a stream, or any call of a client
 * that exposes something (`expose`), opens a session pinned to one instance (a request on
 * `orders.$session`), and from then on every call of the client goes through it. A plain
 * call whose result holds references joins the reference-only session the instance made
 * for them. See nats-session.ts.
 */
import type { Msg, MsgHdrs, NatsConnection } from "@nats-io/transport-node";
import { createJsonCodec } from "../codecs/json-ext.js";
import { createMsgpackCodec } from "../codecs/msgpack.js";
import type { Codec } from "../core/codec.js";
import { InterceptingCaller } from "../core/client-interceptor.js";
import { exposedPipeline } from "../core/pipeline.js";
import { RpcError } from "../core/errors.js";
import type { Peer } from "../core/peer.js";
import * as M from "../core/messages.js";
import { stateOf, type BatchedCall, type Caller, type CallOptions } from "../core/remote.js";
import { MessageError } from "../core/protocol.js";
import { CONNECT_DEFAULTS } from "../options.js";
import type { ResolvedConnect } from "../connect-options.js";
import { validateMessage } from "../core/farcall-protocol.js";
import { callSubject, formatNatsUrl, healthSubject, NATS_BATCH, NATS_IDEMPOTENT, NATS_SESSION, natsService } from "./address.js";
import { openNats } from "./connection.js";
import type { InstanceHealth } from "./listener.js";
import { loadNatsClient } from "./loader.js";
import { resolveNatsPolicy, type NatsCallPolicy, type NatsOptions } from "./options.js";
import { needsSession, SESSION_HEADER, sessionPrefix } from "./session.js";
import { NatsSessionClient, type SessionClientConfig } from "./session-client.js";
import { INSTANCE_HEADER, META_HEADER, metaHeader, TIMEOUT_HEADER } from "./wire.js";

/** An attempt that got no answer in its time. */
const TIMED_OUT: unique symbol = Symbol("timed out");

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
  private nextId = 1;
  /** Methods the service marks idempotent; undefined until learned. */
  private idempotent: ReadonlySet<string> | undefined;
  private learning: Promise<void> | undefined;
  private closed = false;
  private readonly sessions: NatsSessionClient;
  /** The full session being opened. */
  private opening: Promise<Peer> | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly nats: NatsModule,
    private readonly service: string,
    private readonly where: string,
    private readonly policy: NatsCallPolicy,
    private readonly cfg: NatsCallerConfig,
  ) {
    this.sessions = new NatsSessionClient(nc, () => nats.createInbox(), cfg.sessions);
  }

  async call(target: string, args: unknown[], options: CallOptions): Promise<unknown> {
    const subject = this.subjectOf(target);
    const deadline = this.deadlineOf(options);
    if (this.pinned) return (await this.session(deadline)).call(target, args, deadline, options.signal, options.meta);
    const id = this.takeId();
    let frame: Uint8Array;
    try {
      frame = this.cfg.codec.encode([M.CALL, id, target, args]);
    } catch (err) {
      // Functions, ref() objects and streams need one partner for their lifetime: a session.
      if (!needsSession(this.cfg.codec, [M.CALL, id, target, args])) throw err;
      return (await this.session(deadline)).call(target, args, deadline, options.signal, options.meta);
    }
    const retry = this.policy.attempts > 1 && (await this.isIdempotent(target, deadline));
    for (let attempt = 1; ; attempt++) {
      const left = deadline - Date.now();
      if (left <= 0) throw new RpcError("DEADLINE_EXCEEDED", `${target}: no answer within the deadline (${attempt - 1} attempts)`);
      const last = !retry || attempt >= this.policy.attempts;
      const reply = await this.request(subject, frame, last ? left : Math.min(left, this.policy.attemptTimeoutMs), left, options, target);
      if (reply !== TIMED_OUT) return this.outcome(reply, id, target);
      if (last) throw new RpcError("DEADLINE_EXCEEDED", `${target}: no answer from ${this.where} within ${Math.round(left)} ms${attempt > 1 ? ` (attempt ${attempt} of ${this.policy.attempts})` : ""}`);
    }
  }

  notify(target: string, args: unknown[], options: CallOptions, done?: (error?: RpcError) => void): void {
    let inSession = this.pinned;
    try {
      const subject = this.subjectOf(target);
      if (!inSession) {
        try {
          this.nc.publish(subject, this.cfg.codec.encode([M.NOTIFY, target, args]), { headers: this.headersOf(undefined, options) });
        } catch (err) {
          if (!needsSession(this.cfg.codec, [M.NOTIFY, target, args])) throw err;
          inSession = true;
        }
      }
    } catch (err) {
      if (done) queueMicrotask(() => done(this.failure(err, target)));
      return;
    }
    if (inSession) {
      this.session(this.deadlineOf(options)).then(
        (peer) => peer.notify(target, args, options.meta, done),
        (err: unknown) => done?.(RpcError.from(err)),
      );
    } else if (done) queueMicrotask(() => done());
  }

  /** One request on `service.$batch`: the shortest deadline of the members, never retried. */
  batch(calls: readonly BatchedCall[]): void {
    if (this.pinned) {
      // A session multiplexes: its members go one by one, in order, on the one session.
      for (const c of calls) {
        if (c.kind === "call") this.call(c.target, c.args, c.options).then(c.resolve, c.reject);
        else this.notify(c.target, c.args, c.options, c.done);
      }
      return;
    }
    void this.sendBatch(calls).catch((err: unknown) => {
      const error = RpcError.from(err);
      for (const c of calls) {
        if (c.kind === "call") c.reject(error);
        else c.done?.(error);
      }
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.sessions.close(new RpcError("UNAVAILABLE", "the client was closed"));
    if (this.sessions.used) {
      try {
        await this.nc.flush(); // so the instances hear that the sessions ended
      } catch {
        // NATS is gone: the instances' keepalive ends the sessions.
      }
    }
    await this.nc.close();
  }

  /** True when calls go through the full session: one is open, or the client exposes something. */
  private get pinned(): boolean {
    return this.sessions.current !== undefined || this.cfg.sessions.pipeline.dispatcher !== undefined;
  }

  /** The full session: the open one, or one opened now on whichever instance answers `$session`. */
  private session(deadline: number): Promise<Peer> {
    const current = this.sessions.current;
    if (current) return Promise.resolve(current);
    this.opening ??= this.openSession(deadline).finally(() => (this.opening = undefined));
    return this.opening;
  }

  private async openSession(deadline: number): Promise<Peer> {
    const left = deadline - Date.now();
    const id = this.takeId();
    const subject = `${this.service}.${NATS_SESSION}`;
    const reply = await this.request(subject, this.cfg.codec.encode([M.CALL, id, NATS_SESSION, []]), left, left, {}, NATS_SESSION);
    if (reply === TIMED_OUT) throw new RpcError("DEADLINE_EXCEEDED", `no instance of ${this.where} opened a session within ${Math.round(left)} ms`);
    const message = this.validate(this.decodeReply(reply, NATS_SESSION), NATS_SESSION);
    if (message[0] !== M.RESULT || message[1] !== id) throw this.errorOf(message, NATS_SESSION);
    return this.sessions.join(this.sessionOf(reply, NATS_SESSION), reply.headers!.get(INSTANCE_HEADER), true);
  }

  /** The session subject a reply names; it must be one of the answering instance's. */
  private sessionOf(reply: Msg, target: string): string {
    const subject = reply.headers?.get(SESSION_HEADER) ?? "";
    const instance = reply.headers?.get(INSTANCE_HEADER) ?? "";
    if (instance === "" || !subject.startsWith(sessionPrefix(this.service, instance))) {
      throw new RpcError("INTERNAL", `${target}: the reply from ${this.where} names no session of its instance`);
    }
    return subject;
  }

  /** Health reports of every instance that answers within `windowMs` (none: an empty list). */
  async instances(windowMs = this.policy.healthWindowMs): Promise<InstanceHealth[]> {
    if (this.closed) throw new RpcError("UNAVAILABLE", "instances(): the client is closed");
    const out: InstanceHealth[] = [];
    try {
      const replies = await this.nc.requestMany(healthSubject(this.service), undefined, { strategy: "timer", maxWait: windowMs });
      for await (const msg of replies) {
        try {
          out.push(this.cfg.codec.decode(msg.data) as InstanceHealth);
        } catch {
          // Not an instance's report (a foreign responder on our subject): it is not counted.
        }
      }
    } catch (err) {
      if (!isNoResponders(err)) throw this.failure(err, "instances()");
    }
    return out.sort((a, b) => (a.instance < b.instance ? -1 : 1));
  }

  private async sendBatch(calls: readonly BatchedCall[]): Promise<void> {
    const subject = `${this.service}.${NATS_BATCH}`;
    const frames: unknown[] = [];
    const ids: number[] = [];
    let deadline = Infinity;
    const signals: AbortSignal[] = [];
    for (const c of calls) {
      this.subjectOf(c.target);
      if (c.kind === "notify") {
        frames.push([M.NOTIFY, c.target, c.args]);
        continue;
      }
      const id = this.takeId();
      ids.push(id);
      frames.push([M.CALL, id, c.target, c.args]);
      deadline = Math.min(deadline, this.deadlineOf(c.options));
      if (c.options.signal) signals.push(c.options.signal);
    }
    if (deadline === Infinity) deadline = this.deadlineOf({});
    const left = deadline - Date.now();
    const signal = signals.length === 0 ? undefined : signals.length === 1 ? signals[0] : AbortSignal.any(signals);
    const label = `a batch of ${calls.length}`;
    const reply = await this.request(subject, this.cfg.codec.encode(frames), left, left, signal ? { signal } : {}, label);
    if (reply === TIMED_OUT) throw new RpcError("DEADLINE_EXCEEDED", `${label}: no answer from ${this.where} within ${Math.round(left)} ms`);
    const answers = new Map<number, RpcError | { value: unknown }>();
    const doc = this.decodeReply(reply, label);
    if (!Array.isArray(doc) || !Array.isArray(doc[0])) throw this.errorOf(doc, label);
    for (const item of doc) {
      const message = this.validate(item, label);
      if (message[0] === M.RESULT) answers.set(message[1], { value: message[2] });
      else if (message[0] === M.ERROR) answers.set(message[1], RpcError.fromPayload(message[2]));
    }
    let next = 0;
    for (const c of calls) {
      if (c.kind === "notify") {
        c.done?.();
        continue;
      }
      const answer = answers.get(ids[next++]!) ?? new RpcError("INTERNAL", `${c.target}: the batch reply has no answer for it`);
      if (RpcError.is(answer)) c.reject(answer);
      else c.resolve(answer.value);
    }
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

  private takeId(): number {
    const id = this.nextId;
    this.nextId = id >= 0xffffffff ? 1 : id + 1;
    return id;
  }

  private headersOf(timeoutMs: number | undefined, options: CallOptions): MsgHdrs {
    const h = this.nats.headers();
    if (timeoutMs !== undefined) h.set(TIMEOUT_HEADER, String(Math.max(1, Math.ceil(timeoutMs))));
    if (options.meta && Object.keys(options.meta).length > 0) h.set(META_HEADER, metaHeader(options.meta, this.cfg.json));
    return h;
  }

  /** One request; TIMED_OUT when nothing answered within `waitMs`. The server is told the call's whole remaining time. */
  private request(subject: string, frame: Uint8Array, waitMs: number, leftMs: number, options: CallOptions, target: string): Promise<Msg | typeof TIMED_OUT> {
    if (options.signal?.aborted) return Promise.reject(new RpcError("CANCELLED", `${target}: cancelled by the caller`));
    const sent: Promise<Msg | typeof TIMED_OUT> = this.nc.request(subject, frame, { timeout: Math.max(1, Math.ceil(waitMs)), headers: this.headersOf(leftMs, options) }).then(
      (msg) => msg,
      (err: unknown): typeof TIMED_OUT => {
        if (isTimeout(err)) return TIMED_OUT;
        throw this.failure(err, target);
      },
    );
    const signal = options.signal;
    if (!signal) return sent;
    // NATS has no cancel: the call's answer, if it comes, is dropped.
    return new Promise((resolve, reject) => {
      const onAbort = (): void => reject(new RpcError("CANCELLED", `${target}: cancelled by the caller`));
      signal.addEventListener("abort", onAbort, { once: true });
      sent.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
    });
  }

  private outcome(reply: Msg, id: number, target: string): unknown {
    const message = this.validate(reply.headers?.get(SESSION_HEADER) ? this.decodeInSession(reply, target) : this.decodeReply(reply, target), target);
    if (message[0] === M.RESULT && message[1] === id) return message[2];
    throw this.errorOf(message, target);
  }

  private decodeReply(reply: Msg, target: string, session?: Peer): unknown {
    if (reply.data.length > this.cfg.maxFrameBytes) throw new RpcError("RESOURCE_EXHAUSTED", `${target}: reply of ${reply.data.length} B exceeds maxFrameBytes ${this.cfg.maxFrameBytes}`);
    try {
      // Inside a session, the references the reply carries are imported there.
      return session ? session.decodeWith(this.cfg.codec, reply.data) : this.cfg.codec.decode(reply.data);
    } catch (err) {
      throw RpcError.from(err);
    }
  }

  /** A result holding references: they belong to the instance's reference-only session, joined here. */
  private decodeInSession(reply: Msg, target: string): unknown {
    const subject = this.sessionOf(reply, target);
    return this.decodeReply(reply, target, this.sessions.join(subject, reply.headers!.get(INSTANCE_HEADER), false));
  }

  private validate(doc: unknown, target: string): M.Message {
    try {
      return validateMessage(doc);
    } catch (err) {
      throw err instanceof MessageError ? new RpcError("INTERNAL", `${target}: malformed reply: ${err.error.message}`) : err;
    }
  }

  /** The error a reply that is not the expected RESULT stands for. */
  private errorOf(doc: unknown, target: string): RpcError {
    if (Array.isArray(doc) && doc[0] === M.ERROR) return RpcError.fromPayload(doc[2]);
    return new RpcError("INTERNAL", `${target}: unexpected reply from ${this.where}`);
  }

  /** Whether `target` may be sent again; asks the service once, within the call's deadline. */
  private async isIdempotent(target: string, deadline: number): Promise<boolean> {
    if (this.idempotent === undefined) {
      this.learning ??= this.learn(deadline).finally(() => (this.learning = undefined));
      await this.learning;
    }
    return this.idempotent?.has(target) ?? false;
  }

  private async learn(deadline: number): Promise<void> {
    const wait = Math.min(this.policy.attemptTimeoutMs, deadline - Date.now());
    if (wait <= 0) return;
    const subject = `${this.service}.${NATS_IDEMPOTENT}`;
    const id = this.takeId();
    try {
      const reply = await this.request(subject, this.cfg.codec.encode([M.CALL, id, NATS_IDEMPOTENT, []]), wait, wait, {}, NATS_IDEMPOTENT);
      if (reply === TIMED_OUT) return;
      const names = this.outcome(reply, id, NATS_IDEMPOTENT);
      if (Array.isArray(names)) this.idempotent = new Set(names.filter((n): n is string => typeof n === "string"));
    } catch {
      // No instance yet, or an older server: unknown for now, asked again on the next call.
    }
  }

  /** A NATS client failure as an RpcError naming the target. */
  private failure(err: unknown, target: string): RpcError {
    if (RpcError.is(err)) return err;
    if (isNoResponders(err)) return new RpcError("UNAVAILABLE", `${target}: no instance of service ${JSON.stringify(this.service)} is listening on ${this.where}`);
    const name = (err as { name?: unknown })?.name;
    if (name === "PermissionViolationError") return new RpcError("PERMISSION_DENIED", `${target}: ${(err as Error).message}`);
    if (name === "ClosedConnectionError" || name === "DrainingConnectionError") return new RpcError("UNAVAILABLE", `${target}: the client is closed`);
    return new RpcError("UNAVAILABLE", `${target}: ${err instanceof Error ? err.message : String(err)}`, undefined, { cause: err });
  }
}

function isNoResponders(err: unknown): boolean {
  const e = err as { name?: unknown; isNoResponders?: () => boolean; cause?: unknown };
  return e?.name === "NoRespondersError" || (typeof e?.isNoResponders === "function" && e.isNoResponders()) || (e?.cause !== undefined && isNoResponders(e.cause));
}

function isTimeout(err: unknown): boolean {
  const e = err as { name?: unknown; cause?: unknown };
  return e?.name === "TimeoutError" || (e?.cause !== undefined && isTimeout(e.cause));
}

/** Connects to NATS as a caller of the service named by `url`, with connect()'s resolved options. */
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
 * The health report of every instance of a NATS service that answers within `windowMs`
 * (default `nats.healthWindowMs`): instance id, uptime, calls served, calls in flight.
 * @example console.log((await natsInstances(remote)).length, "instances answer")
 */
export function natsInstances(remote: unknown, windowMs?: number): Promise<InstanceHealth[]> {
  const { caller: outer } = stateOf(remote, "natsInstances()");
  const caller = outer instanceof InterceptingCaller ? outer.inner : outer;
  if (!(caller instanceof NatsCaller)) return Promise.reject(new TypeError("natsInstances() needs a remote connected to a nats:// URL"));
  return caller.instances(windowMs);
}
