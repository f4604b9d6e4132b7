/**
 * A farcall service on NATS (`nats://host:4222/orders`): every instance subscribes to
 * `orders.>` in queue group `orders`, so NATS hands each call to one of them, and to
 * `_FARCALL.orders.health` outside the group, so a health request reaches them all. Calls
 * run through the same pipeline as on every other listener (one-shot requests: requests.ts;
 * sessions: session-host.ts); close() drains: it stops taking calls (NATS stops routing to
 * this instance once the unsubscribe is flushed), lets the accepted ones finish, then leaves.
 */
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import type { Msg, MsgHdrs, NatsConnection, Subscription } from "@nats-io/transport-node";
import type { Dispatcher } from "../core/dispatcher.js";
import { RpcError } from "../core/errors.js";
import * as M from "../core/messages.js";
import { methodDoc } from "../core/method-doc.js";
import type { PeerLimits } from "../core/peer.js";
import { formatNatsUrl, healthSubject, NATS_HEALTH, NATS_IDEMPOTENT, natsService } from "./address.js";
import { openNats } from "./connection.js";
import { loadNatsClient } from "./loader.js";
import { resolveNatsPolicy, type NatsOptions } from "./options.js";
import { NatsRequests, type RequestHost, type RequestsConfig } from "./requests.js";
import { SESSION_HEADER, sessionLimits } from "./session.js";
import { NatsSessionHost } from "./session-host.js";
import { INSTANCE_HEADER } from "./wire.js";

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

/** What listenNats needs from serve(): its one-shot calls' settings, and its sessions'. */
export interface NatsListenConfig extends RequestsConfig {
  /** Limits of each session pinned to this instance (keepalive comes from `nats.sessionKeepaliveMs`). */
  sessionLimits: PeerLimits;
  /** Sessions pinned to this instance at once. */
  maxSessions: number;
  /** Time to reach NATS, ms. */
  connectTimeoutMs: number;
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
      return service.requests.size;
    },
    close: (drainMs) => service.close(drainMs),
  };
}


class NatsService implements RequestHost {
  readonly requests: NatsRequests;
  private readonly prefixLength: number;
  private readonly started = Date.now();
  private readonly idempotent: string[];
  private readonly dispatcher: Dispatcher;
  /** The headers of every reply that names no session. */
  private readonly headers: MsgHdrs;
  private readonly sessions: NatsSessionHost;
  private calls: Subscription | undefined;
  private health: Subscription | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly service: string,
    readonly instance: string,
    private readonly cfg: NatsListenConfig,
    private readonly makeHeaders: () => MsgHdrs,
  ) {
    this.prefixLength = service.length + 1;
    const dispatcher = cfg.pipeline.dispatcher;
    if (!dispatcher) throw new TypeError("a NATS listener needs something to serve");
    this.dispatcher = dispatcher;
    this.idempotent = dispatcher.list().map((m) => m.name).filter((name) => methodDoc(dispatcher.lookup(name)!.fn)?.idempotent === true);
    this.headers = makeHeaders();
    this.headers.set(INSTANCE_HEADER, instance);
    this.requests = new NatsRequests(this, cfg);
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
    this.calls = this.nc.subscribe(`${this.service}.>`, { queue: this.service, callback: (err, msg) => (err ? this.onSubscriptionError(err) : this.requests.onRequest(msg, msg.subject.slice(this.prefixLength))) });
    this.health = this.nc.subscribe(healthSubject(this.service), { callback: (err, msg) => (err ? this.onSubscriptionError(err) : this.answerHealth(msg)) });
    this.sessions.start();
  }

  healthReport(): InstanceHealth {
    return {
      service: this.service,
      instance: this.instance,
      host: hostname(),
      pid: process.pid,
      uptimeMs: Date.now() - this.started,
      callsServed: this.requests.served,
      callsInFlight: this.requests.size,
      draining: this.closing !== undefined,
      sessions: this.sessions.size,
    };
  }

  close(drainMs: number): Promise<void> {
    this.closing ??= this.drain(drainMs);
    return this.closing;
  }

  // ---- RequestHost ---------------------------------------------------------------------

  get maxPayload(): number | undefined {
    return this.nc.info?.max_payload;
  }

  replyHeaders(session?: string): MsgHdrs {
    if (session === undefined) return this.headers;
    const headers = this.makeHeaders();
    headers.set(INSTANCE_HEADER, this.instance);
    headers.set(SESSION_HEADER, session);
    return headers;
  }

  encodeInSession(reply: string, message: M.Message): { bytes: Uint8Array; subject: string } | undefined {
    return this.sessions.encodeResult(reply, message);
  }

  builtin(method: string): unknown {
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

  /** `$session`: a session pinned to this instance, answered with its subject in `Farcall-Session`. */
  openSession(msg: Msg, id: number): void {
    if (!msg.reply) return;
    let answer: M.Message;
    let subject: string | undefined;
    try {
      if (this.closing) throw new RpcError("UNAVAILABLE", `instance ${this.instance} is shutting down`);
      subject = this.sessions.open(msg.reply);
      answer = [M.RESULT, id, null];
    } catch (err) {
      answer = [M.ERROR, id, RpcError.from(err).toPayload()];
    }
    this.respond(msg, this.cfg.codec.encode(answer), this.replyHeaders(subject));
  }

  // ---- internals -----------------------------------------------------------------------

  private onSubscriptionError(err: Error): void {
    // A permissions violation ends the subscription: this instance can serve nothing.
    this.cfg.logger.error(`nats ${this.service}: ${err.message}`);
  }

  private answerHealth(msg: Msg): void {
    this.respond(msg, this.cfg.codec.encode(this.healthReport()), this.headers);
  }

  private respond(msg: Msg, bytes: Uint8Array, headers: MsgHdrs): void {
    if (!msg.reply) return;
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
    const idle = Promise.all([this.requests.whenIdle(), this.sessions.drain("the server is shutting down")]);
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([idle, new Promise<void>((resolve) => (timer = setTimeout(resolve, drainMs)))]);
    clearTimeout(timer);
    this.requests.abandonAll(new RpcError("UNAVAILABLE", "the server closed"), new RpcError("UNAVAILABLE", `instance ${this.instance} closed before the call finished`));
    this.sessions.close(new RpcError("UNAVAILABLE", `instance ${this.instance} closed`));
    try {
      await this.nc.drain();
    } catch {
      // Already closed (NATS went away for good): there is nothing left to flush.
    }
  }
}
