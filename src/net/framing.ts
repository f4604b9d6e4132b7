/**
 * Length-prefixed framing for stream transports: a 4-byte big-endian length, then that many
 * bytes. The reader checks the length against maxFrameBytes before keeping a single byte of
 * the body; the writer coalesces every frame queued in one turn of the event loop into one
 * socket write, so many small calls issued together cost one syscall.
 */
import type { Socket } from "node:net";
import { RpcError } from "../core/errors.js";
import { SplitFrame, type Frame } from "../core/split-frame.js";

const HEADER = 4;

/** Frames from this size up are assembled in a buffer of their own as their bytes arrive. */
const FILL_FROM = 64 * 1024;
/**
 * A large frame's buffer is taken once this share of its body has arrived: a peer that
 * announces a frame and sends nothing more makes us hold at most this many times what it
 * sent, never maxFrameBytes for four bytes.
 */
const FILL_SHARE = 8;

/** Splits a byte stream into frames. */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Body length of the frame being read, or -1 while its header is incomplete. */
  private need = -1;
  /**
   * A large frame's own buffer, filled as chunks arrive: each chunk is copied once and let go
   * at once, instead of every chunk of the frame being held until its last byte and joined.
   */
  private body: Buffer | undefined;
  private filled = 0;
  private failed = false;

  constructor(
    private maxFrameBytes: number,
    /** Receives each frame as a range of a buffer, so no view object is made per frame. */
    private readonly onFrame: (buf: Buffer, start: number, end: number) => void,
    private readonly onError: (error: RpcError) => void,
    private limitName = "maxFrameBytes",
  ) {}

  /** Changes the limit, e.g. from the handshake's small one to the session's. */
  setLimit(maxFrameBytes: number, name: string): void {
    this.maxFrameBytes = maxFrameBytes;
    this.limitName = name;
  }

  /** Bytes held while waiting for the rest of a frame (a large frame's whole buffer once taken). */
  get bufferedBytes(): number {
    return this.body ? this.body.length : this.buffered;
  }

  /**
   * Takes the next bytes of the stream.
   * @param reused true when `chunk`'s memory is written again once push returns (a socket's
   *   one read buffer): every byte kept or handed on is copied out of it first.
   */
  push(chunk: Buffer, reused = false): void {
    if (this.failed) return;
    if (this.body) {
      this.fill(chunk, reused);
      return;
    }
    if (this.buffered === 0) {
      this.parseFrom(chunk, reused);
      return;
    }
    this.chunks.push(reused ? Buffer.from(chunk) : chunk);
    this.buffered += chunk.length;
    if (this.need < 0) {
      if (this.buffered < HEADER) return;
      this.parseFrom(this.join(), false);
      return;
    }
    if (this.buffered < HEADER + this.need) {
      this.startFillIfDue();
      return;
    }
    this.parseFrom(this.join(), false);
  }

  /** The held chunks as one buffer; the reader holds nothing after. */
  private join(): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
    this.chunks = [];
    this.buffered = 0;
    this.need = -1;
    return all;
  }

  /** Once enough of a large frame is held, moves its start (header included) into the frame's own buffer. */
  private startFillIfDue(): void {
    if (this.need < FILL_FROM || (this.buffered - HEADER) * FILL_SHARE < this.need) return;
    const body = Buffer.allocUnsafeSlow(this.need);
    let skip = HEADER;
    let filled = 0;
    for (const chunk of this.chunks) {
      if (skip >= chunk.length) {
        skip -= chunk.length;
        continue;
      }
      body.set(skip === 0 ? chunk : chunk.subarray(skip), filled);
      filled += chunk.length - skip;
      skip = 0;
    }
    this.chunks = [];
    this.buffered = 0;
    this.body = body;
    this.filled = filled;
  }

  /**
   * Where the socket may read next, when a large frame is being filled: the rest of its own
   * buffer, so the kernel's bytes land in place and no read can run past the frame.
   */
  room(): Buffer | undefined {
    return this.body?.subarray(this.filled);
  }

  /** Copies what `chunk` holds of the frame being filled (unless it was read in place); emits it when whole and parses the rest. */
  private fill(chunk: Buffer, reused: boolean): void {
    const body = this.body!;
    const take = Math.min(chunk.length, body.length - this.filled);
    const inPlace = chunk.buffer === body.buffer && chunk.byteOffset === body.byteOffset + this.filled;
    if (!inPlace) body.set(take === chunk.length ? chunk : chunk.subarray(0, take), this.filled);
    this.filled += take;
    if (this.filled < body.length) return;
    this.body = undefined;
    this.filled = 0;
    this.need = -1;
    this.onFrame(body, 0, body.length);
    if (!this.failed && take < chunk.length) this.parseFrom(chunk.subarray(take), reused);
  }

  /** Emits every whole frame of `buf` (as ranges of it, not copies) and keeps the remainder. */
  private parseFrom(buf: Buffer, reused: boolean): void {
    let pos = 0;
    const end = buf.length;
    while (end - pos >= HEADER) {
      const len = buf.readUInt32BE(pos);
      if (len > this.maxFrameBytes) {
        this.failed = true;
        this.onError(new RpcError("RESOURCE_EXHAUSTED", `frame of ${len} B exceeds ${this.limitName} ${this.maxFrameBytes}`));
        return;
      }
      if (end - pos - HEADER < len) {
        this.need = len;
        break;
      }
      if (reused) {
        // Handlers may keep views of a frame: the run of whole frames from here is copied
        // out of the read buffer at once, one allocation for all of them.
        const run = wholeFramesEnd(buf, pos, this.maxFrameBytes);
        this.parseFrom(Buffer.from(buf.subarray(pos, run)), false);
        if (this.failed) return;
        pos = run;
        continue;
      }
      const start = pos + HEADER;
      pos = start + len;
      this.onFrame(buf, start, pos);
      if (this.failed) return;
    }
    if (pos < end) {
      // Copy the tail: the caller's chunk may be large and we only need its end.
      const rest = Buffer.from(buf.subarray(pos));
      this.chunks = [rest];
      this.buffered = rest.length;
      this.startFillIfDue();
    }
  }

  /** Stops emitting frames (after a protocol failure or close). */
  stop(): void {
    this.failed = true;
    this.chunks = [];
    this.buffered = 0;
    this.body = undefined;
  }
}

/** Where the run of whole frames, each within `maxFrameBytes`, that starts at `pos` ends. */
function wholeFramesEnd(buf: Buffer, pos: number, maxFrameBytes: number): number {
  const end = buf.length;
  while (end - pos >= HEADER) {
    const len = buf.readUInt32BE(pos);
    if (len > maxFrameBytes || end - pos - HEADER < len) break;
    pos += HEADER + len;
  }
  return pos;
}

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
