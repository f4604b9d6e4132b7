/**
 * Splits a length-prefixed byte stream (a 4-byte big-endian length, then that many bytes)
 * into frames. The length is checked against maxFrameBytes before a single byte of the body
 * is kept.
 */
import { RpcError } from "../core/errors.js";
import type { ReadBudget } from "./read-budget.js";

const HEADER = 4;

/** Frames from this size up are assembled in a buffer of their own as their bytes arrive. */
const FILL_FROM = 64 * 1024;
/**
 * A large frame's buffer is taken once this share of its body has arrived (a buffer for that
 * share, once it is at most this many times what arrived): a peer that announces a frame and
 * sends nothing more makes us hold at most this many times what it sent, never
 * maxFrameBytes for four bytes.
 */
const FILL_SHARE = 8;

/** Splits a byte stream into frames. */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Body length of the frame being read, or -1 while its header is incomplete. */
  private need = -1;
  /**
   * A large frame's own buffer (or, until an eighth has arrived, one for its first eighth),
   * filled as chunks arrive: each chunk is copied once and let go at once, instead of every
   * chunk of the frame being held until its last byte and joined.
   */
  private body: Buffer | undefined;
  private filled = 0;
  private failed = false;
  /** What `body` holds of the server's read budget. */
  private charged = 0;

  constructor(
    private maxFrameBytes: number,
    /** Receives each frame as a range of a buffer, so no view object is made per frame. */
    private readonly onFrame: (buf: Buffer, start: number, end: number) => void,
    private readonly onError: (error: RpcError) => void,
    private limitName = "maxFrameBytes",
    /** The server's cap on bytes held for partial frames; a large frame's buffer is charged to it. */
    private readonly budget?: ReadBudget,
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
    this.buffered += chunk.length;
    if (this.need >= 0 && this.buffered < HEADER + this.need) {
      // Held as it is only until startFillIfDue has copied it into the frame's buffer.
      this.chunks.push(chunk);
      this.startFillIfDue();
      if (!this.body && reused && !this.failed) this.chunks[this.chunks.length - 1] = Buffer.from(chunk);
      return;
    }
    this.chunks.push(reused ? Buffer.from(chunk) : chunk);
    if (this.need < 0 && this.buffered < HEADER) return;
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

  /**
   * Once enough of a large frame is held, moves what arrived of its body into a buffer of its
   * own: the frame's whole buffer from an eighth on; before that, one for the first eighth
   * (never more than FILL_SHARE times what arrived), so that the next reads land there in
   * place instead of being copied out of the read buffer and again into the frame's.
   */
  private startFillIfDue(): void {
    const have = this.buffered - HEADER;
    if (this.need < FILL_FROM) return;
    const size = have * FILL_SHARE >= this.need ? this.need : Math.ceil(this.need / FILL_SHARE);
    if (have * FILL_SHARE < size || !this.charge(size)) return;
    const body = Buffer.allocUnsafeSlow(size);
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
   * buffer, so the kernel's bytes land in place and no read can run past the frame. Valid
   * only until the next push: bytes pushed from anywhere else before the read that fills it
   * would land where that read writes.
   */
  room(): Buffer | undefined {
    return this.body?.subarray(this.filled);
  }

  /**
   * Copies what `chunk` holds of the frame being filled (unless it was read in place), moves
   * a full first eighth into the frame's whole buffer, emits the frame when whole and parses
   * the rest.
   */
  private fill(chunk: Buffer, reused: boolean): void {
    let at = 0;
    let body = this.body!;
    for (;;) {
      const take = Math.min(chunk.length - at, body.length - this.filled);
      const inPlace = chunk.buffer === body.buffer && chunk.byteOffset + at === body.byteOffset + this.filled;
      if (!inPlace) body.set(at === 0 && take === chunk.length ? chunk : chunk.subarray(at, at + take), this.filled);
      this.filled += take;
      at += take;
      if (this.filled < body.length) return;
      if (body.length === this.need) break;
      if (!this.charge(this.need - body.length)) return;
      const whole = Buffer.allocUnsafeSlow(this.need);
      whole.set(body);
      this.body = body = whole;
      if (at === chunk.length) return;
    }
    this.body = undefined;
    this.filled = 0;
    this.need = -1;
    this.credit();
    this.onFrame(body, 0, body.length);
    if (!this.failed && at < chunk.length) this.parseFrom(chunk.subarray(at), reused);
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
      const tail = buf.subarray(pos);
      this.chunks = [tail];
      this.buffered = tail.length;
      this.startFillIfDue();
      // Not taken into a frame's buffer: a copy of the tail is kept, as the caller's chunk may
      // be large (or the reused read buffer) and only its end is needed.
      if (!this.body && !this.failed) this.chunks = [Buffer.from(tail)];
    }
  }

  /**
   * Takes `bytes` more of the server's read budget for the frame being read; one that would
   * pass it fails the connection, as a frame over maxFrameBytes does, before the buffer exists.
   */
  private charge(bytes: number): boolean {
    const budget = this.budget;
    if (!budget) return true;
    const refusal = budget.refusal(bytes, this.need);
    if (refusal) {
      this.stop();
      this.onError(refusal);
      return false;
    }
    budget.used += bytes;
    this.charged += bytes;
    return true;
  }

  /** Gives back what the frame being read held of the budget: once, as `charged` drops to 0. */
  private credit(): void {
    if (this.charged === 0) return;
    this.budget!.used -= this.charged;
    this.charged = 0;
  }

  /** Stops emitting frames (after a protocol failure or close) and lets go of what it held. */
  stop(): void {
    this.failed = true;
    this.chunks = [];
    this.buffered = 0;
    this.body = undefined;
    this.credit();
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
