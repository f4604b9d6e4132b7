/**
 * A farcall service on NATS (`nats://host:4222/orders`): every instance subscribes to
 * `orders.>` in queue group `orders`, so NATS hands each call to one of them, and to
 * `_FARCALL.orders.health` outside the group, so a health request reaches them all. Calls
 * run through the same dispatcher as every other listener; close() drains: it stops taking
 * calls (NATS stops routing to this instance once the unsubscribe is flushed), lets the
 * accepted ones finish, then leaves.
 */
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import type { Msg, MsgHdrs, NatsConnection, Subscription } from "@nats-io/transport-node";
import type { Codec } from "../core/codec.js";
import type { PeerInfo } from "../core/context.js";
import type { Dispatcher } from "../core/dispatcher.js";
import { IncomingCall } from "../core/incoming-call.js";
import type { CallPipeline, CallSink } from "../core/pipeline.js";
import { RpcError, toErrorPayload } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import * as M from "../core/messages.js";
import { methodDoc } from "../core/method-doc.js";
import { MessageError } from "../core/protocol.js";
import { validateMessage } from "../core/farcall-protocol.js";
import type { PeerLimits } from "../core/peer.js";
import { formatNatsUrl, healthSubject, NATS_BATCH, NATS_HEALTH, NATS_IDEMPOTENT, NATS_SESSION, natsService } from "./address.js";
import { openNats } from "./connection.js";
import { loadNatsClient } from "./loader.js";
import { resolveNatsPolicy, type NatsOptions } from "./options.js";
import { SESSION_HEADER, sessionLimits } from "./session.js";
import { NatsSessionHost } from "./session-host.js";
import { deadlineFrom, INSTANCE_HEADER, META_HEADER, metaFrom, TIMEOUT_HEADER } from "./wire.js";

/** What one instance says about itself in answer to a health request. */
export interface InstanceHealth {
  /** The service name. */
  service: string;
  /** This instance's id, unique per process start; also in every reply's `Farcall-Instance` header. */
  instance: string;
  host: string;
  pid: number;
  /** Time since the instance started listening, ms. */
  uptimeMs: number;
  /** Calls answered (or notifications run) since it started. */
  callsServed: number;
  /** Calls running now. */
  callsInFlight: number;
  /** True once close() was called: the instance finishes its calls and takes no new ones. */
  draining: boolean;
  /** Sessions (callbacks, references, streams) pinned to this instance now. */
  sessions: number;
}

/** What listenNats needs from serve(). */
export interface NatsListenConfig {
  /** Runs the calls this instance serves. */
  pipeline: CallPipeline;
  /** farcall/1's codec (MessagePack), with its decode limits. */
  codec: Codec;
  /** Extended JSON, for the metadata header. */
  json: Codec;
  maxFrameBytes: number;
  maxBatch: number;
  /** Calls this instance runs at once; more are answered RESOURCE_EXHAUSTED. */
  maxCallsInFlight: number;
  /** Limits of each session pinned to this instance (keepalive comes from `nats.sessionKeepaliveMs`). */
  sessionLimits: PeerLimits;
  /** Sessions pinned to this instance at once. */
  maxSessions: number;
  /** Time to reach NATS, ms. */
  connectTimeoutMs: number;
  exposeErrorStacks: boolean;
  logger: Logger;
  nats: NatsOptions | undefined;
}

/** A running NATS listener. */
export interface NatsListener {
  /** `nats://host:port/service`, without credentials. */
  readonly url: string;
  /** This instance's id. */
  readonly instance: string;
  /** Calls running now. */
  readonly inFlight: number;
  /** Stops taking calls, lets those in flight finish for up to `drainMs`, answers the rest UNAVAILABLE, and leaves NATS. */
  close(drainMs: number): Promise<void>;
}

/** One call being served, so close() can answer it if it cannot finish. */
interface Running {
  msg: Msg;
  id: number;
  call: IncomingCall;
}

/** Starts serving `config.dispatcher` as one instance of the service named by `url`. */
export async function listenNats(url: string, config: NatsListenConfig): Promise<NatsListener> {
  const address = natsService(url);
  const instance = randomBytes(6).toString("hex");
  const nc = await openNats(address, config.nats, {
    name: `farcall ${address.name} ${instance}`,
    timeoutMs: config.connectTimeoutMs,
    // A listener outlives NATS restarts: it rejoins the queue group on whichever server comes back.
    reconnect: true,
  });
  const nats = await loadNatsClient();
  const service = new NatsService(nc, address.name, instance, config, () => nats.headers());
  service.start();
  return {
    url: formatNatsUrl(address),
    instance,
    get inFlight() {
      return service.running.size;
    },
    close: (drainMs) => service.close(drainMs),
  };
}

class NatsService {
  readonly running = new Set<Running>();
  private readonly prefixLength: number;
  private readonly started = Date.now();
  private readonly idempotent: string[];
  private readonly dispatcher: Dispatcher;
  /** Calls the pipeline runs now for this instance (CallSink's count, shared by every call). */
  callsRunning = 0;
  readonly maxCallsInFlight: number;
  private readonly replyHeaders: MsgHdrs;
  private readonly sessions: NatsSessionHost;
  private calls: Subscription | undefined;
  private health: Subscription | undefined;
  private served = 0;
  private closing: Promise<void> | undefined;
  private wakeDrain: (() => void) | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly service: string,
    readonly instance: string,
    private readonly cfg: NatsListenConfig,
    private readonly makeHeaders: () => MsgHdrs,
  ) {
    this.prefixLength = service.length + 1;
    this.maxCallsInFlight = cfg.maxCallsInFlight;
    const dispatcher = cfg.pipeline.dispatcher;
    if (!dispatcher) throw new TypeError("a NATS listener needs something to serve");
    this.dispatcher = dispatcher;
    this.idempotent = dispatcher.list().map((m) => m.name).filter((name) => methodDoc(dispatcher.lookup(name)!.fn)?.idempotent === true);
    this.replyHeaders = makeHeaders();
    this.replyHeaders.set(INSTANCE_HEADER, instance);
    this.sessions = new NatsSessionHost(nc, service, instance, {
      pipeline: cfg.pipeline,
      codec: cfg.codec,
      limits: sessionLimits(cfg.sessionLimits, resolveNatsPolicy(cfg.nats).sessionKeepaliveMs),
      maxSessions: cfg.maxSessions,
      maxFrameBytes: cfg.maxFrameBytes,
      exposeErrorStacks: cfg.exposeErrorStacks,
      logger: cfg.logger,
    });
  }

  start(): void {
    this.calls = this.nc.subscribe(`${this.service}.>`, { queue: this.service, callback: (err, msg) => (err ? this.onSubscriptionError(err) : this.onCall(msg)) });
    this.health = this.nc.subscribe(healthSubject(this.service), { callback: (err, msg) => (err ? this.onSubscriptionError(err) : this.respond(msg, this.healthReport())) });
    this.sessions.start();
  }

  healthReport(): InstanceHealth {
    return {
      service: this.service,
      instance: this.instance,
      host: hostname(),
      pid: process.pid,
      uptimeMs: Date.now() - this.started,
      callsServed: this.served,
      callsInFlight: this.running.size,
      draining: this.closing !== undefined,
      sessions: this.sessions.size,
    };
  }

  close(drainMs: number): Promise<void> {
    this.closing ??= this.drain(drainMs);
    return this.closing;
  }

  private onSubscriptionError(err: Error): void {
    // A permissions violation ends the subscription: this instance can serve nothing.
    this.cfg.logger.error(`nats ${this.service}: ${err.message}`);
  }

  private onCall(msg: Msg): void {
    const method = msg.subject.slice(this.prefixLength);
    const size = msg.data.length;
    if (size > this.cfg.maxFrameBytes) {
      return this.answerError(msg, undefined, new RpcError("RESOURCE_EXHAUSTED", `request of ${size} B exceeds maxFrameBytes ${this.cfg.maxFrameBytes}`));
    }
    let doc: unknown;
    let deadline: number | undefined;
    let meta: Record<string, unknown> | undefined;
    try {
      doc = this.cfg.codec.decode(msg.data);
      deadline = deadlineFrom(msg.headers?.get(TIMEOUT_HEADER), Date.now());
      meta = metaFrom(msg.headers?.get(META_HEADER), this.cfg.json);
    } catch (err) {
      return this.answerError(msg, undefined, RpcError.from(err));
    }
    if (method === NATS_BATCH) return this.onBatch(msg, doc, deadline, meta);
    let message: M.Message;
    try {
      message = validateMessage(doc);
    } catch (err) {
      return this.answerError(msg, undefined, err instanceof MessageError ? err.error : RpcError.from(err));
    }
    if (message[0] !== M.CALL && message[0] !== M.NOTIFY) {
      return this.answerError(msg, undefined, new RpcError("INVALID_REQUEST", "a NATS request carries one CALL or NOTIFY frame"));
    }
    const id = message[0] === M.CALL ? message[1] : 0;
    const target = message[0] === M.CALL ? message[2] : message[1];
    // The subject is what NATS permissions checked; the frame must not name another method.
    if (target !== method) {
      return this.answerError(msg, id, new RpcError("INVALID_REQUEST", `the frame calls ${JSON.stringify(target)} but was sent to ${JSON.stringify(method)}`));
    }
    if (target === NATS_SESSION) return this.openSession(msg, id);
    const args = message[0] === M.CALL ? message[3] : message[2];
    if (message[0] === M.NOTIFY || !msg.reply) {
      void this.run(msg, id, target, args, deadline, meta, true);
      return;
    }
    void this.run(msg, id, target, args, deadline, meta, false).then((frame) => frame && this.respond(msg, frame, true));
  }

  /** A batch: a MessagePack array of CALL and NOTIFY frames, answered by one array of RESULT/ERROR frames. */
  private onBatch(msg: Msg, doc: unknown, deadline: number | undefined, meta: Record<string, unknown> | undefined): void {
    if (!Array.isArray(doc) || doc.length === 0) return this.answerError(msg, undefined, new RpcError("INVALID_REQUEST", "a batch is a non-empty array of frames"));
    if (doc.length > this.cfg.maxBatch) return this.answerError(msg, undefined, new RpcError("RESOURCE_EXHAUSTED", `a batch of ${doc.length} exceeds maxBatch ${this.cfg.maxBatch}`));
    const answers: Promise<unknown[] | undefined>[] = [];
    for (const member of doc) {
      let message: M.Message;
      try {
        message = validateMessage(member);
      } catch (err) {
        const e = err instanceof MessageError ? err : new MessageError(RpcError.from(err));
        answers.push(Promise.resolve([M.ERROR, e.callId ?? 0, e.error.toPayload()]));
        continue;
      }
      if (message[0] === M.CALL) answers.push(this.run(msg, message[1], message[2], message[3], deadline, meta, false));
      else if (message[0] === M.NOTIFY) void this.run(msg, 0, message[1], message[2], deadline, meta, true);
      else answers.push(Promise.resolve([M.ERROR, 0, new RpcError("INVALID_REQUEST", "a batch holds CALL and NOTIFY frames only").toPayload()]));
    }
    void Promise.all(answers).then((frames) => this.respond(msg, frames, true));
  }

  /** Runs one call; resolves to its RESULT or ERROR frame, or undefined for a notification or an abandoned call. */
  private async run(msg: Msg, id: number, method: string, args: unknown[], deadline: number | undefined, meta: Record<string, unknown> | undefined, notification: boolean): Promise<unknown[] | undefined> {
    if (method.charCodeAt(0) === 0x24 /* $ */) {
      // The reserved targets an instance answers itself are not calls of the service.
      try {
        return notification ? undefined : [M.RESULT, id, this.builtin(method)];
      } catch (err) {
        return notification ? undefined : [M.ERROR, id, RpcError.from(err).toPayload()];
      }
    }
    const peer: PeerInfo = { transport: "nats", address: callerOf(msg), authenticated: false };
    const call = new IncomingCall("farcall/1", id, method, args, peer, meta, deadline, undefined, notification);
    const entry: Running = { msg, id, call };
    this.running.add(entry);
    const [value, failure, failed] = await new Promise<Outcome>((resolve) => this.cfg.pipeline.dispatch(call, new InstanceSink(this, resolve)));
    this.served++;
    this.running.delete(entry);
    if (this.running.size === 0) this.wakeDrain?.();
    // close() gave up on this call and already answered it UNAVAILABLE.
    if (call.abandoned && this.closing) return undefined;
    if (notification) return undefined;
    return failed ? [M.ERROR, id, toErrorPayload(failure, this.cfg.exposeErrorStacks)] : [M.RESULT, id, value];
  }

  /** `$session`: a session pinned to this instance, answered with its subject in `Farcall-Session`. */
  private openSession(msg: Msg, id: number): void {
    if (!msg.reply) return;
    let subject: string;
    try {
      if (this.closing) throw new RpcError("UNAVAILABLE", `instance ${this.instance} is shutting down`);
      subject = this.sessions.open(callerOf(msg));
    } catch (err) {
      return this.answerError(msg, id, RpcError.from(err));
    }
    this.reply(msg, this.cfg.codec.encode([M.RESULT, id, null]), this.sessionHeaders(subject));
  }

  private sessionHeaders(subject: string): MsgHdrs {
    const headers = this.makeHeaders();
    headers.set(INSTANCE_HEADER, this.instance);
    headers.set(SESSION_HEADER, subject);
    return headers;
  }

  private answerError(msg: Msg, id: number | undefined, error: RpcError): void {
    if (msg.reply) this.respond(msg, [M.ERROR, id ?? 0, error.toPayload()]);
  }

  /** Sends `frame` as the reply to `msg`; a reply that cannot be encoded or sent becomes an ERROR frame naming why. */
  private respond(msg: Msg, frame: unknown, isCallAnswer = false): void {
    if (!msg.reply) return;
    let bytes: Uint8Array;
    let headers = this.replyHeaders;
    try {
      try {
        bytes = this.cfg.codec.encode(frame);
      } catch (err) {
        // A result holding functions, ref() objects or streams: they live in a session with this caller.
        const inSession = isCallAnswer ? this.sessions.encodeResult(msg.reply, frame) : undefined;
        if (inSession === undefined) throw err;
        bytes = inSession.bytes;
        headers = this.sessionHeaders(inSession.subject);
      }
      const max = this.nc.info?.max_payload;
      if (max !== undefined && bytes.length > max) throw new RpcError("RESOURCE_EXHAUSTED", `a reply of ${bytes.length} B exceeds the NATS server's max_payload ${max}`);
    } catch (err) {
      if (!isCallAnswer) return this.cfg.logger.warn(`nats ${this.service}: cannot encode a reply: ${(err as Error).message}`);
      const id = Array.isArray(frame) && typeof frame[1] === "number" ? frame[1] : 0;
      bytes = this.cfg.codec.encode([M.ERROR, id, RpcError.from(err).toPayload()]);
      headers = this.replyHeaders;
    }
    this.reply(msg, bytes, headers);
  }

  private reply(msg: Msg, bytes: Uint8Array, headers: MsgHdrs): void {
    try {
      msg.respond(bytes, { headers });
    } catch (err) {
      // The connection is closed: the caller's deadline tells it.
      this.cfg.logger.info(`nats ${this.service}: cannot reply: ${(err as Error).message}`);
    }
  }

  private async drain(drainMs: number): Promise<void> {
    // Unsubscribing and flushing means NATS routes no more calls here; messages already
    // delivered to this process are still served (that is what drain() adds to unsubscribe()).
    this.health?.unsubscribe();
    try {
      await this.calls?.drain();
    } catch (err) {
      this.cfg.logger.info(`nats ${this.service}: drain: ${(err as Error).message}`);
    }
    // Sessions are told GOAWAY (their clients send new calls elsewhere) and finish theirs.
    const idle = Promise.all([this.callsDone(), this.sessions.drain("the server is shutting down")]);
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([idle, new Promise<void>((resolve) => (timer = setTimeout(resolve, drainMs)))]);
    clearTimeout(timer);
    for (const entry of this.running) {
      entry.call.abort(new RpcError("UNAVAILABLE", "the server closed"));
      this.answerError(entry.msg, entry.id, new RpcError("UNAVAILABLE", `instance ${this.instance} closed before the call finished`));
    }
    this.sessions.close(new RpcError("UNAVAILABLE", `instance ${this.instance} closed`));
    try {
      await this.nc.drain();
    } catch {
      // Already closed (NATS went away for good): there is nothing left to flush.
    }
  }

  private callsDone(): Promise<void> {
    return this.running.size === 0 ? Promise.resolve() : new Promise((resolve) => (this.wakeDrain = resolve));
  }

  /** The reserved targets an instance answers itself. */
  private builtin(method: string): unknown {
    switch (method) {
      case M.LIST_METHODS:
        return this.dispatcher.list();
      case NATS_IDEMPOTENT:
        return this.idempotent;
      case NATS_HEALTH:
        return this.healthReport();
      default:
        throw new RpcError("METHOD_NOT_FOUND", `no method ${JSON.stringify(method)}`);
    }
  }
}

/** A caller's identity as far as NATS shows it: its reply inbox prefix (one per client connection). */
function callerOf(msg: Msg): string {
  const reply = msg.reply;
  if (!reply) return "nats";
  const dot = reply.lastIndexOf(".");
  return dot > 0 ? reply.slice(0, dot) : reply;
}

/** A call's value, what it threw, and whether it failed. */
type Outcome = [unknown, unknown, boolean];

/** One call's sink: the limit is the instance's, shared by every call it runs. */
class InstanceSink implements CallSink {
  constructor(
    private readonly listener: NatsService,
    private readonly resolve: (outcome: Outcome) => void,
  ) {}
  get inFlight(): number {
    return this.listener.callsRunning;
  }
  set inFlight(n: number) {
    this.listener.callsRunning = n;
  }
  get maxInFlight(): number {
    return this.listener.maxCallsInFlight;
  }
  get scope(): string {
    return `instance ${this.listener.instance}`;
  }
  settled(_call: IncomingCall, value: unknown, error: unknown, failed: boolean): void {
    this.resolve([value, error, failed]);
  }
}
