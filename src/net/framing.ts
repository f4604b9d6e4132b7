/**
 * Length-prefixed framing for stream transports, the writing side (the reading side is
 * frame-reader.ts): a 4-byte big-endian length, then that many bytes. The writer coalesces
 * every frame queued in one turn of the event loop into one socket write, so many small calls
 * issued together cost one syscall.
 */
import type { Socket } from "node:net";
import { RpcError } from "../core/errors.js";
import { SplitFrame, type Frame } from "../core/split-frame.js";

const HEADER = 4;

/** Frames smaller than this are copied into one buffer per flush; larger ones are written as they are. */
const COALESCE_LIMIT = 64 * 1024;

/**
 * Bytes queued toward peers across every connection of a server, against one cap, so many
 * connections that each stay under maxWriteBufferBytes cannot add up to more than the server
 * was told to hold. A writer charges its frames as they are queued and is credited when the
 * socket has handed them to the kernel (or is gone).
 */
export class WriteBudget {
  used = 0;
  constructor(
    readonly max: number,
    /** The option that sets `max`, named in refusals. */
    readonly option = "maxServerWriteBufferBytes",
  ) {}
}

/** Queued frames from this size up must not pin a buffer much larger than themselves. */
const EXACT_COPY_BYTES = 64 * 1024;

/**
 * Queues frames and writes them once per event-loop turn. Every frame is counted as it is
 * queued, against maxWriteBufferBytes (this socket's unsent bytes plus the queue) and the
 * server's {@link WriteBudget}: one that would pass either closes the connection before it
 * is held, so a peer that never reads cannot make us keep more than the caps say. Callers
 * that can fail one message instead (an answer, a call) ask {@link overLimit} first.
 */
export class FrameWriter {
  private queue: Frame[] = [];
  private queuedBytes = 0;
  /** Whether the queue holds a SplitFrame, which is never copied into a coalesced write. */
  private queuedSplit = false;
  private scheduled = false;
  private closed = false;
  /** What this writer holds of `budget.used`: queued, or written and not yet taken by the kernel. */
  private charged = 0;

  constructor(
    private readonly socket: Socket,
    private readonly maxQueuedBytes: number,
    private readonly onOverflow: (error: RpcError) => void,
    private readonly budget?: WriteBudget,
  ) {
    if (budget) socket.once("close", () => this.release(this.charged));
  }

  /** Bytes written this tick and not yet handed to the socket. */
  get pendingBytes(): number {
    return this.queuedBytes;
  }

  /**
   * Why a frame of `bytes` cannot be queued now (which limit, what is held), or undefined
   * when it can.
   */
  overLimit(bytes: number): string | undefined {
    const held = this.socket.writableLength + this.queuedBytes;
    if (held + HEADER + bytes > this.maxQueuedBytes) return `${held} B already queued for this peer + ${HEADER + bytes} B exceed maxWriteBufferBytes ${this.maxQueuedBytes}`;
    const budget = this.budget;
    if (budget && budget.used + HEADER + bytes > budget.max) return `${budget.used} B already queued for all peers + ${HEADER + bytes} B exceed ${budget.option} ${budget.max}`;
    return undefined;
  }

  /** Queues a frame; a {@link SplitFrame}'s pieces are written together, uncopied. */
  write(frame: Frame): void {
    if (this.closed) return;
    const size = frame.byteLength;
    const over = this.overLimit(size);
    if (over !== undefined) {
      this.closed = true;
      this.dropQueue();
      this.onOverflow(new RpcError("RESOURCE_EXHAUSTED", `peer is not reading: ${over}`));
      return;
    }
    if (frame instanceof SplitFrame) {
      this.queuedSplit = true;
      this.queue.push(new SplitFrame(frame.parts.map(exact), size));
    } else {
      this.queue.push(exact(frame));
    }
    this.queuedBytes += HEADER + size;
    if (this.budget) {
      this.budget.used += HEADER + size;
      this.charged += HEADER + size;
    }
    if (!this.scheduled) {
      this.scheduled = true;
      // One tick per turn, paid even with one call in flight: about 0.2 µs of W1's 14-25 µs
      // per call (README, Performance), against one write per 100 calls at W2.
      process.nextTick(flush, this);
    }
  }

  /** Writes bytes with no frame header (the preamble). */
  writeRaw(bytes: Uint8Array): void {
    this.flush();
    this.socket.write(bytes);
  }

  flush(): void {
    this.scheduled = false;
    if (this.closed || this.queue.length === 0) return;
    const queue = this.queue;
    const total = this.queuedBytes;
    this.queue = [];
    this.queuedBytes = 0;
    // The budget is credited once the kernel has the bytes: one callback per flush, not per frame.
    const done = this.budget ? () => this.release(total) : undefined;
    const split = this.queuedSplit;
    this.queuedSplit = false;
    if (total <= COALESCE_LIMIT && !split) {
      this.socket.write(concatFrames(queue as Uint8Array[], total), done);
      return;
    }
    this.socket.cork();
    let small: Uint8Array[] = [];
    let smallBytes = 0;
    for (let i = 0; i < queue.length; i++) {
      const frame = queue[i]!;
      if (frame.byteLength >= COALESCE_LIMIT || frame instanceof SplitFrame) {
        if (smallBytes > 0) {
          this.socket.write(concatFrames(small, smallBytes));
          small = [];
          smallBytes = 0;
        }
        // Writes complete in order: the last one's callback means all of them are done.
        writeLarge(this.socket, frame, i === queue.length - 1 ? done : undefined);
      } else {
        small.push(frame);
        smallBytes += HEADER + frame.byteLength;
      }
    }
    if (smallBytes > 0) this.socket.write(concatFrames(small, smallBytes), done);
    this.socket.uncork();
  }

  close(): void {
    this.closed = true;
    this.dropQueue();
  }

  private dropQueue(): void {
    this.release(this.queuedBytes);
    this.queue = [];
    this.queuedBytes = 0;
  }

  /** Gives `bytes` back to the server's budget, never more than this writer took. */
  private release(bytes: number): void {
    const n = Math.min(bytes, this.charged);
    if (n === 0 || !this.budget) return;
    this.charged -= n;
    this.budget.used -= n;
  }
}

/**
 * A large queued piece that is a view of a much larger buffer (msgpackr packs into one that
 * grows by doubling and is shared by the next packs; a caller's byte array may be a window on
 * a bigger one) would pin what the limits do not count: it is queued as an exact copy. Only
 * what is queued pays for the copy.
 */
function exact(bytes: Uint8Array): Uint8Array {
  return bytes.length >= EXACT_COPY_BYTES && bytes.buffer.byteLength >= 2 * bytes.length ? Buffer.from(bytes) : bytes;
}

/** Writes one large frame, header and pieces, under the socket's cork: one writev. */
function writeLarge(socket: Socket, frame: Frame, done: (() => void) | undefined): void {
  if (frame instanceof Uint8Array) {
    const header = Buffer.allocUnsafe(HEADER);
    header.writeUInt32BE(frame.length, 0);
    socket.write(header);
    socket.write(frame, done);
    return;
  }
  const parts = frame.parts;
  // The header travels with the first piece (a few bytes of ids and names): one buffer less.
  const first = parts[0]!;
  const head = Buffer.allocUnsafe(HEADER + first.length);
  head.writeUInt32BE(frame.byteLength, 0);
  head.set(first, HEADER);
  socket.write(head);
  for (let i = 1; i < parts.length; i++) {
    const part = parts[i]!;
    if (part.length > 0 || i === parts.length - 1) socket.write(part, i === parts.length - 1 ? done : undefined);
  }
}

function concatFrames(frames: Uint8Array[], total: number): Buffer {
  const out = Buffer.allocUnsafe(total);
  let pos = 0;
  for (const frame of frames) {
    out.writeUInt32BE(frame.length, pos);
    out.set(frame, pos + HEADER);
    pos += HEADER + frame.length;
  }
  return out;
}

function flush(writer: FrameWriter): void {
  writer.flush();
}
