/**
 * The client side of NATS sessions: one inbox subscription per client connection
 * (`<inbox>.<n>`, one token per session) and one Peer per session. The full session, once
 * opened, carries every call of the client; reference-only sessions carry the references a
 * plain call's result brought back. When the instance goes away the session ends: its
 * pending calls and references reject, its streams end, all with UNAVAILABLE.
 */
import type { Msg, NatsConnection, Subscription } from "@nats-io/transport-node";
import type { Codec } from "../core/codec.js";
import type { CallPipeline } from "../core/pipeline.js";
import { RpcError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import * as M from "../core/messages.js";
import { Peer, type PeerLimits } from "../core/peer.js";
import { createFarcallProtocol } from "../core/farcall-protocol.js";
import { endOf, NatsSessionLink } from "./session.js";

/** What a client's sessions need. */
export interface SessionClientConfig {
  codec: Codec;
  /** Per-session limits, keepalive included. */
  limits: PeerLimits;
  /** Runs what the client exposes to the instance (connect()'s `expose`). */
  pipeline: CallPipeline;
  maxFrameBytes: number;
  logger: Logger;
}

interface Joined {
  readonly peer: Peer;
  readonly subject: string;
}

export class NatsSessionClient {
  private readonly byToken = new Map<string, Joined>();
  private readonly bySubject = new Map<string, Joined>();
  private readonly protocol;
  private inbox: string | undefined;
  private sub: Subscription | undefined;
  private nextToken = 1;
  /** The full session, once opened: every call goes through it while it lasts. */
  private full: Joined | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly createInbox: () => string,
    private readonly cfg: SessionClientConfig,
  ) {
    this.protocol = createFarcallProtocol(cfg.codec);
  }

  /** The full session while it takes new calls. */
  get current(): Peer | undefined {
    const peer = this.full?.peer;
    return peer && peer.open && !peer.goawayReceived ? peer : undefined;
  }

  /** True once any session was joined (close() then has end messages to flush). */
  get used(): boolean {
    return this.inbox !== undefined;
  }

  /**
   * The session at `subject` on `instance`: the one already joined, or a new one, announced
   * to the instance by a first frame (a ping) that tells it where this side listens.
   */
  join(subject: string, instance: string, full: boolean): Peer {
    const known = this.bySubject.get(subject);
    if (known && known.peer.open) return known.peer;
    const token = String(this.nextToken++);
    const link = new NatsSessionLink(this.nc, `${this.listen()}.${token}`, subject, this.protocol, this.cfg.logger);
    const peer = new Peer(link, {
      protocol: this.protocol,
      pipeline: this.cfg.pipeline,
      info: { transport: "nats", address: instance, authenticated: false },
      limits: this.cfg.limits,
      exposeErrorStacks: false,
      logger: this.cfg.logger,
      onClose: () => {
        this.byToken.delete(token);
        if (this.bySubject.get(subject) === joined) this.bySubject.delete(subject);
        if (this.full === joined) this.full = undefined;
      },
      onGoaway: () => {
        // The instance is draining: new calls open a session elsewhere; this one ends when it closes.
        if (this.full === joined) this.full = undefined;
      },
    });
    link.peer = peer;
    const joined: Joined = { peer, subject };
    this.byToken.set(token, joined);
    this.bySubject.set(subject, joined);
    if (full) this.full = joined;
    peer.sendMessage([M.PING, 0]);
    return peer;
  }

  /** Ends every session; the instances are told. */
  close(reason: RpcError): void {
    for (const joined of [...this.byToken.values()]) joined.peer.close(reason);
    this.sub?.unsubscribe();
  }

  /** The inbox sessions' frames come to, subscribed on first use. */
  private listen(): string {
    if (this.inbox === undefined) {
      const inbox = this.createInbox();
      this.sub = this.nc.subscribe(`${inbox}.*`, {
        callback: (err, msg) => (err ? this.cfg.logger.error(`nats sessions: ${err.message}`) : this.onMessage(msg, inbox.length + 1)),
      });
      this.inbox = inbox;
    }
    return this.inbox;
  }

  private onMessage(msg: Msg, tokenAt: number): void {
    const joined = this.byToken.get(msg.subject.slice(tokenAt));
    if (joined === undefined) return;
    const end = endOf(msg, `instance ${joined.peer.info.address}`);
    if (end) return joined.peer.close(end);
    if (msg.data.length > this.cfg.maxFrameBytes) {
      return joined.peer.close(new RpcError("RESOURCE_EXHAUSTED", `a frame of ${msg.data.length} B exceeds maxFrameBytes ${this.cfg.maxFrameBytes}`));
    }
    joined.peer.receive(msg.data);
  }
}
