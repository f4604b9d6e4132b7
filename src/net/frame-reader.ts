/**
 * Splits a length-prefixed byte stream (a 4-byte big-endian length, then that many bytes)
 * into frames. The length is checked against maxFrameBytes before a single byte of the body
 * is kept.
 */
import { RpcError } from "../core/errors.js";

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
