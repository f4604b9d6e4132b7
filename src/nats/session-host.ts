/**
 * The instance side of NATS sessions. A client opens a full session with a request on
 * `<service>.$session` (answered by one instance, as any call): that instance then runs a
 * Peer with the service's methods for the client, on its own subject. A plain call whose
 * result holds functions, ref() objects or streams gets a reference-only session instead,
 * one per caller: those references live there, and nothing else can be called through it,
 * so a caller's subject permissions still decide which methods it reaches.
 */
import { randomBytes } from "node:crypto";
import type { Msg, NatsConnection, Subscription } from "@nats-io/transport-node";
import type { Codec } from "../core/codec.js";
import type { CallPipeline } from "../core/pipeline.js";
import { RpcError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import * as M from "../core/messages.js";
import { Peer, type PeerLimits } from "../core/peer.js";
import { createFarcallProtocol } from "../core/farcall-protocol.js";
import { endOf, NatsSessionLink, sessionPrefix } from "./session.js";
import { callerOf } from "./wire.js";

/** What the sessions of one instance need from its listener. */
export interface SessionHostConfig {
  /** Runs the calls the sessions serve. */
  pipeline: CallPipeline;
  codec: Codec;
  /** Per-session limits, keepalive included. */
  limits: PeerLimits;
  /** Sessions alive at once on this instance; more are refused RESOURCE_EXHAUSTED. */
  maxSessions: number;
  maxFrameBytes: number;
  exposeErrorStacks: boolean;
  logger: Logger;
}

interface Hosted {
  readonly peer: Peer;
  readonly link: NatsSessionLink;
}

export class NatsSessionHost {
  private readonly sessions = new Map<string, Hosted>();
  /** Reference-only sessions by caller (see {@link callerOf}). */
  private readonly byCaller = new Map<string, Hosted>();
  private readonly prefix: string;
  private readonly protocol;
  /** The pipeline of a session that answers calls on its references and nothing else. */
  private readonly referencesOnly: CallPipeline;
  private sub: Subscription | undefined;

  constructor(
    private readonly nc: NatsConnection,
    service: string,
    private readonly instance: string,
    private readonly cfg: SessionHostConfig,
  ) {
    this.prefix = sessionPrefix(service, instance);
    this.protocol = createFarcallProtocol(cfg.codec);
    this.referencesOnly = cfg.pipeline.derive({ dispatcher: undefined });
  }

  /** Sessions alive now. */
  get size(): number {
    return this.sessions.size;
  }

  start(): void {
    this.sub = this.nc.subscribe(`${this.prefix}*`, {
      callback: (err, msg) => (err ? this.cfg.logger.error(`nats sessions of ${this.instance}: ${err.message}`) : this.onMessage(msg)),
    });
  }

  /** A new full session for the caller replied to at `reply` (a `$session` request); its subject. */
  open(reply: string): string {
    return this.create(callerOf(reply), false).link.subject;
  }

  /**
   * A RESULT frame whose value holds references, encoded in the reference-only session of
   * the caller whose reply subject is `reply` (made if there is none); undefined for any
   * other frame. Throws what the encoding throws, with nothing left behind.
   */
  encodeResult(reply: string, frame: unknown): { bytes: Uint8Array; subject: string } | undefined {
    if (!Array.isArray(frame) || frame[0] !== M.RESULT) return undefined;
    const caller = callerOf(reply);
    let hosted = this.byCaller.get(caller);
    const fresh = hosted === undefined || !hosted.peer.open || hosted.peer.goawayReceived;
    if (fresh) hosted = this.create(caller, true);
    try {
      return { bytes: hosted!.peer.encode(frame as M.Message), subject: hosted!.link.subject };
    } catch (err) {
      if (fresh) hosted!.peer.close(RpcError.from(err));
      throw err;
    }
  }

  /** Sends GOAWAY on every session; resolves once none has a call in flight. */
  drain(reason: string): Promise<void> {
    return Promise.all([...this.sessions.values()].map((s) => s.peer.drain(reason))).then(() => undefined);
  }

  /** Ends every session (each client is told) and stops listening. */
  close(reason: RpcError): void {
    for (const s of [...this.sessions.values()]) s.peer.close(reason);
    this.sub?.unsubscribe();
  }

  private create(caller: string, referencesOnly: boolean): Hosted {
    if (this.sessions.size >= this.cfg.maxSessions) {
      throw new RpcError("RESOURCE_EXHAUSTED", `instance ${this.instance} holds ${this.sessions.size} sessions, maxConnections is ${this.cfg.maxSessions}`);
    }
    const sid = randomBytes(12).toString("hex");
    const link = new NatsSessionLink(this.nc, `${this.prefix}${sid}`, undefined, this.protocol, this.cfg.logger);
    const peer = new Peer(link, {
      protocol: this.protocol,
      // A reference-only session answers calls on its references and nothing else.
      pipeline: referencesOnly ? this.referencesOnly : this.cfg.pipeline,
      info: { transport: "nats", address: caller, authenticated: false },
      limits: this.cfg.limits,
      exposeErrorStacks: this.cfg.exposeErrorStacks,
      logger: this.cfg.logger,
      onClose: () => {
        this.sessions.delete(sid);
        if (this.byCaller.get(caller) === hosted) this.byCaller.delete(caller);
      },
    });
    link.peer = peer;
    const hosted: Hosted = { peer, link };
    this.sessions.set(sid, hosted);
    if (referencesOnly) this.byCaller.set(caller, hosted);
    return hosted;
  }

  private onMessage(msg: Msg): void {
    const sid = msg.subject.slice(this.prefix.length);
    const hosted = this.sessions.get(sid);
    if (hosted === undefined) {
      // Over, or never ours: tell the sender, so its session ends now rather than at a ping.
      if (msg.reply && msg.data.length > 0) this.nc.publish(msg.reply, new Uint8Array(0));
      return;
    }
    const end = endOf(msg, `the client of session ${sid}`);
    if (end) return hosted.peer.close(end);
    if (msg.reply) hosted.link.bind(msg.reply);
    if (msg.data.length > this.cfg.maxFrameBytes) {
      return hosted.peer.close(new RpcError("RESOURCE_EXHAUSTED", `a frame of ${msg.data.length} B exceeds maxFrameBytes ${this.cfg.maxFrameBytes}`));
    }
    hosted.peer.receive(msg.data);
  }
}
