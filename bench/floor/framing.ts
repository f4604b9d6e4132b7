/**
 * The floor's framing, written for node:net alone: farcall/1's 4-byte big-endian length
 * prefix, then the body. The reader is a streaming parser: a chunk may hold part of a frame,
 * one frame or many, and a large frame spread over many chunks is joined once, not per chunk.
 */

const HEADER = 4;

/** Splits a byte stream into frames and hands each body to `onFrame` as a view. */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Body length of the frame being read, or -1 while its header is incomplete. */
  private need = -1;

  constructor(
    private readonly maxFrameBytes: number,
    private readonly onFrame: (body: Buffer) => void,
  ) {}

  /** Consumes one chunk; throws RangeError on a frame above maxFrameBytes. */
  push(chunk: Buffer): void {
    if (this.buffered === 0) {
      this.parse(chunk);
      return;
    }
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (this.buffered < HEADER + Math.max(0, this.need)) return;
    const all = Buffer.concat(this.chunks, this.buffered);
    this.chunks = [];
    this.buffered = 0;
    this.need = -1;
    this.parse(all);
  }

  private parse(buf: Buffer): void {
    let pos = 0;
    while (buf.length - pos >= HEADER) {
      const length = buf.readUInt32BE(pos);
      if (length > this.maxFrameBytes) throw new RangeError(`frame of ${length} B exceeds maxFrameBytes ${this.maxFrameBytes}`);
      if (buf.length - pos - HEADER < length) {
        this.need = length;
        break;
      }
      const body = buf.subarray(pos + HEADER, pos + HEADER + length);
      pos += HEADER + length;
      this.onFrame(body);
    }
    if (pos < buf.length) {
      this.chunks = [buf.subarray(pos)];
      this.buffered = buf.length - pos;
    }
  }
}

/** A frame header for a body of `length` bytes. */
export function frameHeader(length: number): Buffer {
  const header = Buffer.allocUnsafe(HEADER);
  header.writeUInt32BE(length, 0);
  return header;
}

/** One buffer holding the header and `body`, for small frames (one write, no cork needed). */
export function frame(body: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(HEADER + body.length);
  out.writeUInt32BE(body.length, 0);
  out.set(body, HEADER);
  return out;
}
