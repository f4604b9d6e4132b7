/**
 * A `ws` WebSocket as a message link: one binary message per frame, backpressure on
 * `bufferedAmount`, text messages refused with close code 1003 (unsupported data).
 */
import type { Duplex } from "node:stream";
import type { WebSocket, RawData } from "ws";
import { RpcError } from "../core/errors.js";
import type { WriteBudget } from "../net/framing.js";
import { WriteCharge } from "./write-charge.js";
import { FrameBatch } from "./frame-batch.js";
import { installFastReceive } from "./fast-receive.js";

/** Bytes queued on the socket above which stream producers wait for it to drain. */
const ROOM_BYTES = 1024 * 1024;
/** How often a waiting producer looks at `bufferedAmount` again; ws has no 'drain' event. */
const ROOM_POLL_MS = 5;
/**
 * Messages at least this large go through ws one by one (header and payload as two writes,
 * no copy) instead of being copied into the turn's joined buffer.
 */
const LARGE_FRAME_BYTES = 16 * 1024;
/** How long a closing socket may take to say goodbye before it is terminated. */
export const CLOSE_GRACE_MS = 2000;

/** RFC 6455 close codes used here. */
export const CLOSE_NORMAL = 1000;
export const CLOSE_UNSUPPORTED_DATA = 1003;
export const CLOSE_POLICY_VIOLATION = 1008;
export const CLOSE_TOO_BIG = 1009;

/** The longest close reason RFC 6455 allows (the control frame's 125 bytes less the code). */
const MAX_REASON_BYTES = 123;

/** Messages held for a link nobody listens to yet; the handshake needs one or two. */
const MAX_EARLY_MESSAGES = 8;

export class WsLink {
  onClose: (error: RpcError) => void = () => {};
  /**
   * Most bytes this side lets wait unsent for the peer (maxWriteBufferBytes): an answer that
   * would pass it fails alone (see overLimit); a frame sent past it anyway closes the
   * connection, so a peer that never reads cannot make us hold more.
   */
  maxBufferedBytes = Number.POSITIVE_INFINITY;
  /** This socket's share of the server's maxServerWriteBufferBytes, when it has one. */
  private charge: WriteCharge | undefined;
  private closing = false;
  private handler: ((data: Uint8Array) => void) | undefined;
  /**
   * Messages that arrived before a session listened: the server's hello can come in the same
   * TCP segment as its 101 answer, and so be parsed before the dialer's `await` resumes.
   */
  private early: Uint8Array[] = [];

  get onMessage(): (data: Uint8Array) => void {
    return this.handler ?? this.hold;
  }

  set onMessage(handler: (data: Uint8Array) => void) {
    this.handler = handler;
    const early = this.early;
    this.early = [];
    for (const data of early) this.handler(data);
  }

  private readonly hold = (data: Uint8Array): void => {
    if (this.early.length >= MAX_EARLY_MESSAGES) return this.closeWith(CLOSE_POLICY_VIOLATION, `more than ${MAX_EARLY_MESSAGES} messages before the handshake`);
    this.early.push(data);
  };

  /** The TCP (or TLS) socket under `socket`, written to directly by flush(). */
  private readonly raw: Duplex | undefined;
  /** This turn's small frames, or undefined where ws's internals are not as expected. */
  private readonly batch: FrameBatch | undefined;

  constructor(readonly socket: WebSocket, readonly where: string) {
    socket.binaryType = "nodebuffer";
    this.raw = rawSocketOf(socket);
    const isServer = (socket as unknown as { _isServer?: unknown })._isServer;
    this.batch = this.raw !== undefined && typeof isServer === "boolean" ? new FrameBatch(!isServer) : undefined;
    socket.on("message", onSocketMessage.bind(null, this));
    installFastReceive(socket, deliver.bind(null, this));
    socket.on("close", (code: number, reason: Buffer) => {
      this.charge?.releaseAll();
      const why = reason.length > 0 ? `: ${reason.toString("utf8")}` : "";
      this.onClose(new RpcError("UNAVAILABLE", `websocket to ${this.where} closed (${code}${why})`));
    });
    // ws reports a frame over maxPayload as an error (code WS_ERR_UNSUPPORTED_MESSAGE_LENGTH), then
    // closes with 1009; 'close' ends the session, so the error needs a listener, not an action.
    socket.on("error", noop);
  }

  /** Charges every frame sent from now on to the server-wide `budget`. */
  chargeTo(budget: WriteBudget): void {
    this.charge = new WriteCharge(budget);
  }

  /** Why a frame of `bytes` cannot wait for the peer now, or undefined when it can. */
  overLimit(bytes: number): string | undefined {
    const held = this.socket.bufferedAmount + (this.batch?.wireBytes ?? 0);
    if (held + bytes > this.maxBufferedBytes) return `${held} B already queued for this peer + ${bytes} B exceed maxWriteBufferBytes ${this.maxBufferedBytes}`;
    return this.charge?.overLimit(bytes + (this.batch?.wireBytes ?? 0));
  }

  send(frame: Uint8Array): void {
    if (this.closing) return;
    const over = this.overLimit(frame.length);
    if (over !== undefined) return this.closeWith(CLOSE_POLICY_VIOLATION, `peer is not reading: ${over}`);
    const batch = this.batch;
    if (batch !== undefined && frame.length < LARGE_FRAME_BYTES) {
      if (batch.empty) process.nextTick(flushBatch, this);
      batch.add(frame);
      return;
    }
    if (batch !== undefined && !batch.empty) this.flush();
    const charge = this.charge;
    if (charge) {
      charge.charge(frame.length);
      this.socket.send(frame, { binary: true }, charge.onSent);
    } else {
      this.socket.send(frame, { binary: true });
    }
  }

  /** Writes this turn's small frames, in one buffer, ahead of anything sent after them. */
  flush(): void {
    const batch = this.batch;
    if (batch === undefined || batch.empty) return;
    const raw = this.raw!;
    if (this.socket.readyState !== this.socket.OPEN || raw.destroyed) return batch.clear();
    const bytes = batch.take();
    const charge = this.charge;
    if (charge) {
      charge.charge(bytes.length);
      raw.write(bytes, charge.onSent);
    } else {
      raw.write(bytes);
    }
  }

  room(): Promise<void> | undefined {
    if (this.closing || this.socket.bufferedAmount < ROOM_BYTES) return undefined;
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.closing || this.socket.readyState !== this.socket.OPEN || this.socket.bufferedAmount < ROOM_BYTES) resolve();
        else setTimeout(check, ROOM_POLL_MS);
      };
      setTimeout(check, ROOM_POLL_MS);
    });
  }

  close(): void {
    this.closeWith(CLOSE_NORMAL, "");
  }

  refuse(reason: string): void {
    this.closeWith(CLOSE_POLICY_VIOLATION, reason);
  }

  closeWith(code: number, reason: string): void {
    if (this.closing) return;
    this.flush();
    this.closing = true;
    this.socket.close(code, clip(reason));
    setTimeout(() => this.socket.terminate(), CLOSE_GRACE_MS).unref();
  }
}

/**
 * The TCP socket under a `ws` WebSocket. ws keeps it in `_socket`, and whether it frames as
 * the server in `_isServer` (not public API, both stable since ws 1.x); without them frames
 * are simply handed to ws one by one. Writing our own frames to its socket is safe because
 * a frame is always one whole write, and ws's own (pings, pongs, close) are whole writes too.
 */
function rawSocketOf(socket: WebSocket): Duplex | undefined {
  const raw = (socket as unknown as { _socket?: Duplex })._socket;
  return raw && typeof raw.cork === "function" ? raw : undefined;
}

function flushBatch(link: WsLink): void {
  link.flush();
}

function onSocketMessage(link: WsLink, data: RawData, isBinary: boolean): void {
  if (!isBinary) {
    link.closeWith(CLOSE_UNSUPPORTED_DATA, "farcall/1 takes binary messages only, got a text message");
    return;
  }
  // binaryType "nodebuffer" makes every binary message one Buffer.
  link.onMessage(data as Buffer);
}

/** A small binary message read by fast-receive.ts. */
function deliver(link: WsLink, data: Buffer): void {
  link.onMessage(data);
}

/** `reason` cut to what a close frame can carry, on a character boundary. */
export function clip(reason: string): string {
  let out = reason;
  while (Buffer.byteLength(out) > MAX_REASON_BYTES) out = out.slice(0, -1);
  return out;
}

function noop(): void {}
