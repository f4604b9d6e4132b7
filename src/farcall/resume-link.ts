/**
 * The transport side of a resumable farcall/1 session: it sits between the Peer and the
 * connection of the moment, numbers every message the Peer sends and keeps it until the
 * other side acknowledges it, counts the messages it hands the Peer, and outlives the
 * connection. When the connection drops the session is detached: sends go to the kept
 * buffer, stream producers wait, keepalive stops. A new connection that resumes it (see
 * resume-handshake.ts) is told how many messages the other side received; what came after
 * is sent again, in order, so nothing is lost or repeated. Imports no Node module (browsers
 * resume too).
 */
import { RpcError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import { ACK } from "../core/messages.js";
import type { PeerInfo } from "../core/context.js";
import type { FrameSink } from "../core/peer-options.js";
import type { Peer } from "../core/peer.js";
import { unrefTimer } from "../core/runtime.js";

/** The bounds of one resumable session. */
export interface ResumeLimits {
  /** How long a detached session waits for its client (ms). */
  windowMs: number;
  /** Most bytes of unacknowledged messages kept for a resumption. */
  bufferBytes: number;
  /** Most unacknowledged messages kept for a resumption. */
  bufferFrames: number;
}

/** A cap shared by many sessions (the server's maxServerWriteBufferBytes): net/framing.ts's WriteBudget. */
export interface ResumeBudget {
  used: number;
  readonly max: number;
  readonly option: string;
}

/** What resumes a session: its id and current secret, kept by both sides (resume-handshake.ts). */
export interface ResumeTicket {
  id: string;
  secret: Uint8Array;
}

/** Who learns of a session's detaching, resumption and end (the server's registry, the client). */
export interface ResumeHooks {
  /** The connection dropped: may the session wait for a resumption? A reason to refuse, or undefined. */
  detaching?(link: ResumableLink): string | undefined;
  /** The session waits for a resumption now. */
  detached?(link: ResumableLink): void;
  /** The session has a connection again, or ended. */
  settled?(link: ResumableLink): void;
  closed?(link: ResumableLink): void;
}

/**
 * An acknowledgement goes out after this many messages, or this many bytes, received since
 * the last one, or {@link ACK_DELAY_MS} after the first of them: the sender's buffer stays a
 * small fraction of its bounds under load, and a quiet session acknowledges what it got.
 */
const ACK_EVERY_FRAMES = 64;
const ACK_EVERY_BYTES = 256 * 1024;
const ACK_DELAY_MS = 100;
/** An ACK frame: MessagePack [12, uint64 count]; 0x92 never starts a JSON document either. */
const ACK_FRAME_BYTES = 11;
const TWO_32 = 0x1_0000_0000;
/** Kept frames acknowledged at the front are cut away once this many have piled up (no Array.shift). */
const COMPACT_AT = 1024;

/**
 * `[12]`, an ACK without a count: the sender ended the session on purpose (a client's
 * close(), a server's), so the other side must not keep it waiting for a resumption.
 */
const BYE = new Uint8Array([0x91, ACK]);

/** The ACK frame saying `count` messages were received. */
export function ackFrame(count: number): Uint8Array {
  const frame = new Uint8Array(ACK_FRAME_BYTES);
  frame[0] = 0x92;
  frame[1] = ACK;
  frame[2] = 0xcf;
  const view = new DataView(frame.buffer);
  view.setUint32(3, Math.floor(count / TWO_32));
  view.setUint32(7, count >>> 0);
  return frame;
}

function isAck(frame: Uint8Array, start: number, end: number): boolean {
  return end - start === ACK_FRAME_BYTES && frame[start] === 0x92 && frame[start + 1] === ACK && frame[start + 2] === 0xcf;
}

function ackCount(frame: Uint8Array, start: number): number {
  const view = new DataView(frame.buffer, frame.byteOffset + start + 3, 8);
  return view.getUint32(0) * TWO_32 + view.getUint32(4);
}

export class ResumableLink implements FrameSink {
  /** Set once, right after the Peer is made over this link. */
  peer!: Peer;
  /** Set by the handshake that opened the session, replaced at each resumption. */
  ticket: ResumeTicket = { id: "", secret: EMPTY };
  /** Messages sent so far (the sequence number of the next one). */
  sent = 0;
  /** Messages received and handed to the Peer so far. */
  received = 0;
  /** Kept messages: frames[head] is message number `firstKept`. */
  private frames: Uint8Array[] = [];
  private head = 0;
  private firstKept = 0;
  private keptBytes = 0;
  /** Why nothing is kept any more (the bounds were passed while connected): the next drop ends the session. */
  private notResumable: string | undefined;
  private transport: FrameSink | undefined;
  private unackedFrames = 0;
  private unackedBytes = 0;
  private ackTimer: ReturnType<typeof setTimeout> | undefined;
  private windowTimer: ReturnType<typeof setTimeout> | undefined;
  private roomWaiters: (() => void)[] = [];
  /** Bytes charged to the shared budget while detached. */
  private charged = 0;
  private closed = false;

  constructor(
    transport: FrameSink,
    readonly limits: ResumeLimits,
    private readonly logger: Logger,
    readonly where: string,
    readonly hooks: ResumeHooks = {},
    private readonly budget?: ResumeBudget,
  ) {
    this.transport = transport;
  }

  /** Whether the session waits for a resumption. */
  get isDetached(): boolean {
    return this.transport === undefined && !this.closed;
  }

  send(frame: Uint8Array): void {
    if (this.closed) return;
    this.sent++;
    if (this.notResumable === undefined) {
      // While connected a small frame is kept as the view it came as (acknowledged within
      // ACK_DELAY_MS, it pins its codec's buffer briefly; msgpackr never packs over earlier
      // output, which net/framing.ts's queue relies on too); a large one, or any kept while
      // detached, as an exact copy, so what is held is what the bounds count.
      this.frames.push(this.transport === undefined || frame.length >= EXACT_COPY_BYTES ? exact(frame) : frame);
      this.keptBytes += frame.length;
      const over = this.overBounds(0);
      if (over !== undefined) {
        if (this.transport === undefined) return this.end(new RpcError("UNAVAILABLE", `the session could not wait for its resumption: ${over}`));
        this.stopKeeping(over);
      } else if (this.transport === undefined) {
        this.charge(frame.length);
        if (this.closed) return;
      }
    }
    this.transport?.send(frame);
  }

  overLimit(bytes: number): string | undefined {
    if (this.transport) return this.transport.overLimit?.(bytes);
    if (this.closed) return undefined;
    const over = this.overBounds(bytes);
    return over === undefined ? undefined : `the connection dropped and the session waits for its resumption: ${over}`;
  }

  room(): Promise<void> | undefined {
    if (this.transport) return this.transport.room?.();
    if (this.closed) return undefined;
    // A detached session's producers wait for the next connection: their credit already bounds what is kept.
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /** One frame from the connection of the moment. */
  receive(frame: Uint8Array, start: number, end: number): void {
    if (this.closed) return;
    if (isAck(frame, start, end)) {
      this.acknowledged(ackCount(frame, start));
      return;
    }
    if (end - start === BYE.length && frame[start] === BYE[0] && frame[start + 1] === ACK) {
      this.peer.close(new RpcError("UNAVAILABLE", `${this.where} ended the session`));
      return;
    }
    this.received++;
    this.peer.receive(frame, start, end);
    if (this.transport === undefined || this.closed) return;
    this.unackedBytes += end - start;
    if (++this.unackedFrames >= ACK_EVERY_FRAMES || this.unackedBytes >= ACK_EVERY_BYTES) this.sendAck();
    else if (this.ackTimer === undefined) {
      this.ackTimer = setTimeout(sendAckLater, ACK_DELAY_MS, this);
      unrefTimer(this.ackTimer);
    }
  }

  /** Sends the cumulative count of messages received. */
  sendAck(): void {
    if (this.ackTimer !== undefined) clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    if (this.unackedFrames === 0 || this.transport === undefined) return;
    this.unackedFrames = 0;
    this.unackedBytes = 0;
    this.transport.send(ackFrame(this.received));
  }

  /** The other side has received `count` messages: those need not be kept any more. */
  private acknowledged(count: number): void {
    if (count > this.sent) {
      this.end(new RpcError("INVALID_REQUEST", `protocol violation: ${this.where} acknowledged ${count} messages of the ${this.sent} sent`));
      return;
    }
    if (this.notResumable !== undefined) return;
    while (this.firstKept < count && this.head < this.frames.length) {
      this.keptBytes -= this.frames[this.head]!.length;
      this.frames[this.head++] = EMPTY;
      this.firstKept++;
    }
    if (this.head >= COMPACT_AT && this.head * 2 >= this.frames.length) {
      this.frames = this.frames.slice(this.head);
      this.head = 0;
    }
  }

  /** Why the kept messages, with `extra` bytes more, pass the bounds; undefined when they do not. */
  private overBounds(extra: number): string | undefined {
    const { bufferBytes, bufferFrames } = this.limits;
    const count = this.frames.length - this.head;
    if (this.keptBytes + extra > bufferBytes) return `${this.keptBytes + extra} B of unacknowledged messages exceed resumeBufferBytes ${bufferBytes}`;
    if (count + (extra > 0 ? 1 : 0) > bufferFrames) return `${count} unacknowledged messages exceed resumeBufferFrames ${bufferFrames}`;
    return undefined;
  }

  private stopKeeping(reason: string): void {
    this.notResumable = reason;
    this.frames = [];
    this.head = 0;
    this.keptBytes = 0;
    this.logger.warn(`${this.where}: the session can no longer be resumed: ${reason}`);
  }

  /** Counts `bytes` kept while detached against the shared budget; ends the session past it. */
  private charge(bytes: number): void {
    const budget = this.budget;
    if (!budget) return;
    if (budget.used + bytes > budget.max) {
      this.end(new RpcError("UNAVAILABLE", `the session could not wait for its resumption: ${bytes} B more would pass ${budget.option} ${budget.max} (${budget.used} B held)`));
      return;
    }
    budget.used += bytes;
    this.charged += bytes;
  }

  private uncharge(): void {
    if (this.budget) this.budget.used -= this.charged;
    this.charged = 0;
  }

  /**
   * The connection `from` dropped with `error`. Unless it is an old connection this session
   * already left, the session waits up to windowMs for a resumption, or ends with `error`
   * when it cannot wait (not resumable, a cap reached).
   */
  detach(from: FrameSink, error: RpcError): void {
    if (this.closed || this.transport !== from) return;
    this.transport = undefined;
    const refusal = this.notResumable ?? this.hooks.detaching?.(this);
    if (refusal !== undefined) {
      this.end(new RpcError(error.code, `${error.message}; the session could not wait for its resumption: ${refusal}`));
      return;
    }
    if (this.ackTimer !== undefined) clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    this.peer.liveness.stop();
    for (let i = this.head; i < this.frames.length; i++) this.frames[i] = exact(this.frames[i]!);
    this.charge(this.keptBytes);
    if (this.closed) return;
    this.windowTimer = setTimeout(expire, this.limits.windowMs, this, error);
    unrefTimer(this.windowTimer);
    this.logger.info(`${this.where}: connection lost (${error.message}); the session waits ${this.limits.windowMs} ms for its resumption`);
    this.hooks.detached?.(this);
  }

  /** Why a resumption after the other side received `count` messages cannot be lossless, or undefined. */
  resumeError(count: number): string | undefined {
    if (this.closed) return "the session has ended";
    if (this.notResumable !== undefined) return this.notResumable;
    if (count > this.sent) return `the other side claims ${count} messages received of the ${this.sent} sent`;
    if (count < this.firstKept) return `the other side received ${count} messages, but those from ${count} to ${this.firstKept} were acknowledged and dropped`;
    return undefined;
  }

  /**
   * Continues over `transport`, whose other side received `count` messages (checked with
   * {@link resumeError} first): what it missed is sent again, in order. A connection still
   * attached (half-open: this side never saw it drop) is reset. `info` (the server's side)
   * describes the new connection: calls from now on see its address in context().peer.
   */
  attach(transport: FrameSink, count: number, info?: PeerInfo): void {
    if (info !== undefined) this.peer.info = info;
    const old = this.transport;
    this.transport = transport;
    old?.close(true);
    if (this.windowTimer !== undefined) clearTimeout(this.windowTimer);
    this.windowTimer = undefined;
    this.uncharge();
    this.acknowledged(count);
    for (let i = this.head; i < this.frames.length; i++) transport.send(this.frames[i]!);
    this.unackedFrames = 1; // tell the other side soon what this side already has
    this.sendAck();
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const wake of waiters) wake();
    this.peer.liveness.start();
    this.hooks.settled?.(this);
  }

  /** Ends the session, saying why in one log line. */
  end(reason: RpcError): void {
    if (this.closed) return;
    this.logger.warn(`${this.where}: ending the session: ${reason.code}: ${reason.message}`);
    this.peer.close(reason);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.ackTimer !== undefined) clearTimeout(this.ackTimer);
    if (this.windowTimer !== undefined) clearTimeout(this.windowTimer);
    this.uncharge();
    const transport = this.transport;
    this.transport = undefined;
    this.frames = [];
    // The goodbye goes out even when calls were pending (abort): a reset would carry nothing,
    // and the other side would keep the session, and its place among the detached ones,
    // for its whole window. So the connection ends rather than resets: what was already
    // queued arrives before the goodbye, which then cancels whatever of it is running.
    transport?.send(BYE);
    transport?.close(false);
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const wake of waiters) wake();
    this.hooks.settled?.(this);
    this.hooks.closed?.(this);
  }
}

const EMPTY = new Uint8Array(0);

/** Frames from this size up are kept as exact copies even while connected (as net/framing.ts queues them). */
const EXACT_COPY_BYTES = 64 * 1024;

/**
 * `frame`, or a copy of it when it is a view of a buffer at least twice its size: the
 * MessagePack codec packs into a buffer shared by the next packs (of every session of a
 * server), which a kept view would hold in memory unseen by the bounds.
 */
function exact(frame: Uint8Array): Uint8Array {
  // new Uint8Array(view) copies; a Node Buffer's own slice() would make another view.
  return frame.buffer.byteLength >= 2 * frame.length ? new Uint8Array(frame) : frame;
}

function sendAckLater(link: ResumableLink): void {
  link.sendAck();
}

function expire(link: ResumableLink, error: RpcError): void {
  link.end(new RpcError("UNAVAILABLE", `${error.message}; the session was not resumed within resumeWindowMs ${link.limits.windowMs}`));
}
