/**
 * A farcall service on NATS (`nats://host:4222/orders`): every instance subscribes to
 * `orders.>` in queue group `orders`, so NATS hands each call to one of them, and registers
 * with NATS's Services API (service-api.ts), so `$SRV.PING/INFO/STATS` reach them all. Calls
 * run through the same pipeline as on every other listener (one-shot requests: requests.ts;
 * sessions: session-host.ts); close() drains: it stops taking calls (NATS stops routing to
 * this instance once the unsubscribe is flushed), lets the accepted ones finish, then leaves.
 */
import type { Service } from "@nats-io/services";
import type { Msg, MsgHdrs, NatsConnection, Subscription } from "@nats-io/transport-node";
import type { Dispatcher } from "../core/dispatcher.js";
import { RpcError } from "../core/errors.js";
import * as M from "../core/messages.js";
import { methodDoc } from "../core/method-doc.js";
import type { PeerLimits } from "../core/peer.js";
import { formatNatsUrl, NATS_IDEMPOTENT, natsService } from "./address.js";
import { CallStats } from "./call-stats.js";
import { openNats } from "./connection.js";
import { loadNatsClient } from "./loader.js";
import { resolveNatsPolicy, type NatsOptions } from "./options.js";
import { NatsRequests, type RequestHost, type RequestsConfig } from "./requests.js";
import { registerServiceApi } from "./service-api.js";
import { SESSION_HEADER, sessionLimits } from "./session.js";
import { NatsSessionHost } from "./session-host.js";
import { INSTANCE_HEADER } from "./wire.js";

/** What listenNats needs from serve(): its one-shot calls' settings, and its sessions'. */
export interface NatsListenConfig extends Omit<RequestsConfig, "heartbeatMs"> {
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
  const dispatcher = config.pipeline.dispatcher;
  if (!dispatcher) throw new TypeError("a NATS listener needs something to serve");
  const policy = resolveNatsPolicy(config.nats);
  const nc = await openNats(address, config.nats, {
    name: `farcall ${address.name}`,
    timeoutMs: config.connectTimeoutMs,
    // A listener outlives NATS restarts: it rejoins the queue group on whichever server comes back.
    reconnect: true,
  });
  const methods = dispatcher.list();
  const stats = new CallStats(methods.map((m) => m.name));
  let service: NatsService | undefined;
  let api: Service;
  try {
    const nats = await loadNatsClient();
    // The Services API names the instance: its id is the one in reply headers and session subjects.
    api = await registerServiceApi(nc, { service: address.name, version: policy.version, methods, stats, sessions: () => service?.sessionCounts() ?? { opened: 0, open: 0 } });
    service = new NatsService(nc, address.name, api, stats, dispatcher, config, () => nats.headers());
  } catch (err) {
    await nc.close();
    throw err;
  }
  service.start();
  // serve() resolving means reachable: the server must hold this instance's subscriptions
  // (its calls and the Services API's) before anyone is told it listens.
  await nc.flush();
  const instance = api.ping().id;
  return {
    url: formatNatsUrl(address),
    instance,
    get inFlight() {
      return service!.requests.size;
    },
    close: (drainMs) => service!.close(drainMs),
  };
}


class NatsService implements RequestHost {
  readonly requests: NatsRequests;
  readonly instance: string;
  private readonly prefixLength: number;
  private readonly idempotent: string[];
  /** The headers of every reply that names no session. */
  private readonly headers: MsgHdrs;
  private readonly sessions: NatsSessionHost;
  private sessionsOpened = 0;
  private calls: Subscription | undefined;
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly service: string,
    private readonly api: Service,
    readonly stats: CallStats,
    private readonly dispatcher: Dispatcher,
    private readonly cfg: NatsListenConfig,
    private readonly makeHeaders: () => MsgHdrs,
  ) {
    this.instance = api.ping().id;
    const instance = this.instance;
    this.prefixLength = service.length + 1;
    this.idempotent = dispatcher.list().map((m) => m.name).filter((name) => methodDoc(dispatcher.lookup(name)!.fn)?.idempotent === true);
    this.headers = makeHeaders();
    this.headers.set(INSTANCE_HEADER, instance);
    this.requests = new NatsRequests(this, { ...cfg, heartbeatMs: resolveNatsPolicy(cfg.nats).heartbeatMs });
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
    this.sessions.start();
    // One timer for the instance, whatever the number of calls: see NatsRequests.beat.
    this.heartbeat = setInterval(beat, this.requests.heartbeatMs, this.requests);
    this.heartbeat.unref();
  }

  /** Sessions opened since start, and open now, for `$SRV.STATS`. */
  sessionCounts(): { opened: number; open: number } {
    return { opened: this.sessionsOpened, open: this.sessions.size };
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
      this.sessionsOpened++;
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
    // Off the Services API first: a draining instance is no longer one to find.
    void this.api.stop().catch((err: unknown) => this.cfg.logger.info(`nats ${this.service}: leaving the Services API: ${(err as Error).message}`));
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
    clearInterval(this.heartbeat);
    this.requests.abandonAll(new RpcError("UNAVAILABLE", "the server closed"), new RpcError("UNAVAILABLE", `instance ${this.instance} closed before the call finished`));
    this.sessions.close(new RpcError("UNAVAILABLE", `instance ${this.instance} closed`));
    try {
      await this.nc.drain();
    } catch {
      // Already closed (NATS went away for good): there is nothing left to flush.
    }
  }
}

function beat(requests: NatsRequests): void {
  requests.beat();
}
