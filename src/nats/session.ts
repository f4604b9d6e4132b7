/**
 * A farcall/1 session over NATS, shared by both ends: one Peer each side, one frame per NATS
 * message, on two subjects. The instance's side listens on
 * `_FARCALL.<service>.<instance>.s.<sid>` (one wildcard subscription per instance); the
 * client's on an inbox of its own. Every frame is published with the sender's own subject as
 * its reply address: the instance learns where the client listens from the first frame it
 * gets, and when the other side has gone (its subscription vanished with its process), NATS
 * answers the next frame with a no-responders status, which ends the session at once. An
 * empty message (never a farcall/1 frame) ends the session on purpose. NATS delivers the
 * messages of one publisher to one subscriber in order, which is all farcall/1 needs.
 */
import type { Msg, NatsConnection } from "@nats-io/transport-node";
import type { Codec } from "../core/codec.js";
import { RpcError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import * as M from "../core/messages.js";
import type { FrameSink, Peer, PeerLimits } from "../core/peer.js";
import { RefSession, type RefLink } from "../core/ref-session.js";
import type { MessageProtocol } from "../core/protocol.js";
import { frameHead } from "../core/farcall-protocol.js";

/** Reply header: the subject of the session a reply belongs to (its references live there). */
export const SESSION_HEADER = "Farcall-Session";

/** Frames an instance holds for a client that has not sent its first frame yet. */
const MAX_HELD_FRAMES = 64;

/** The prefix of the session subjects of one instance: `_FARCALL.<service>.<instance>.s.`. */
export function sessionPrefix(service: string, instance: string): string {
  return `_FARCALL.${service}.${instance}.s.`;
}

/** The session limits: the listener's or client's own, with keepalive at `keepaliveMs` both ways. */
export function sessionLimits(base: PeerLimits, keepaliveMs: number): PeerLimits {
  // NATS never tells a session that its partner died silently (a lost host): the ping does.
  return { ...base, keepaliveIntervalMs: keepaliveMs, keepaliveTimeoutMs: keepaliveMs, keepaliveOption: "nats.sessionKeepaliveMs" };
}

/** Why a message ends its session, or undefined for a frame: empty bodies are control messages. */
export function endOf(msg: Msg, partner: string): RpcError | undefined {
  if (msg.data.length > 0) return undefined;
  if (msg.headers?.code === 503) return new RpcError("UNAVAILABLE", `${partner} is gone (NATS has no subscriber for the session)`);
  return new RpcError("UNAVAILABLE", `${partner} ended the session`);
}

/**
 * One side's frames on NATS. Frames sent before the other side's subject is known are held
 * (the instance learns it from the client's first frame). A frame over the NATS server's
 * max_payload is never published: its call fails RESOURCE_EXHAUSTED and the session stays.
 */
export class NatsSessionLink implements FrameSink {
  /** Set once the Peer exists; frames only flow after that. */
  peer: Peer | undefined;
  private held: Uint8Array[] | undefined = [];
  private closed = false;

  constructor(
    private readonly nc: NatsConnection,
    /** This side's own subject: the reply address of every frame. */
    readonly subject: string,
    private to: string | undefined,
    private readonly protocol: MessageProtocol,
    private readonly logger: Logger,
  ) {
    if (to !== undefined) this.held = undefined;
  }

  /** Where frames go from now on (the instance side, on the client's first frame). */
  bind(to: string): void {
    if (this.to !== undefined || this.closed) return;
    this.to = to;
    const held = this.held ?? [];
    this.held = undefined;
    for (const frame of held) this.publish(frame);
  }

  send(frame: Uint8Array): void {
    if (this.closed) return;
    const max = this.nc.info?.max_payload;
    if (max !== undefined && frame.length > max) return this.tooLarge(frame, max);
    if (this.held === undefined) return this.publish(frame);
    if (this.held.length >= MAX_HELD_FRAMES) {
      queueMicrotask(() => this.peer?.close(new RpcError("RESOURCE_EXHAUSTED", `the client sent nothing while ${MAX_HELD_FRAMES} frames waited for it`)));
      return;
    }
    this.held.push(frame);
  }

  /** Tells the other side the session is over (an empty message). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.held = undefined;
    if (this.to === undefined) return;
    try {
      this.nc.publish(this.to, new Uint8Array(0));
    } catch {
      // NATS is closed: the other side's keepalive ends the session there.
    }
  }

  private publish(frame: Uint8Array): void {
    try {
      this.nc.publish(this.to!, frame, { reply: this.subject });
    } catch (err) {
      // Only a closed NATS connection gets here: the session cannot go on.
      const reason = new RpcError("UNAVAILABLE", `cannot send on the session: ${(err as Error).message}`);
      queueMicrotask(() => this.peer?.close(reason));
    }
  }

  /**
   * A frame NATS would refuse. What it was for fails instead, and the session goes on: our
   * own call is answered RESOURCE_EXHAUSTED here, a result is replaced by that error for the
   * caller, a stream item ends that stream (and stops its producer); anything else is logged.
   */
  private tooLarge(frame: Uint8Array, max: number): void {
    const head = frameHead(frame);
    const error = new RpcError("RESOURCE_EXHAUSTED", `a frame of ${frame.length} B exceeds the NATS server's max_payload ${max}`).toPayload();
    const peer = this.peer;
    if (head === undefined || peer === undefined) return this.logger.warn(`nats session: dropped a frame: ${error.message}`);
    const [type, id] = head;
    if (type === M.CALL) {
      const answer = this.protocol.encode([M.ERROR, id, error]);
      queueMicrotask(() => peer.receive(answer));
    } else if (type === M.RESULT || type === M.ERROR) {
      this.send(this.protocol.encode([M.ERROR, id, error]));
    } else if (type === M.NEXT) {
      this.send(this.protocol.encode([M.END, id, error]));
      // As if the consumer had stopped: the producer's finally blocks run.
      const stop = this.protocol.encode([M.CREDIT, id, 0]);
      queueMicrotask(() => peer.receive(stop));
    } else {
      this.logger.warn(`nats session: dropped a frame of type ${type}: ${error.message}`);
    }
  }
}

/**
 * How `msg` fares outside a session: "plain" when it encodes as it is, "session" when only a
 * session can carry it (it passes functions, ref() objects or streams, so it encodes with a
 * scratch reference table), else the error that stops it. The scratch table is dropped
 * unclosed, so nothing it saw is stopped.
 */
export function outsideSession(codec: Codec, msg: M.Message): "plain" | "session" | RpcError {
  let error: RpcError;
  try {
    codec.encode(msg);
    return "plain";
  } catch (err) {
    error = RpcError.from(err);
  }
  // Encoding only records exports; the link is used once messages flow, which never happens here.
  const scratch = new RefSession(undefined as unknown as RefLink, Number.MAX_SAFE_INTEGER);
  try {
    codec.encode(msg, scratch);
    return "session";
  } catch {
    return error;
  }
}
