/**
 * Python's multiprocessing.connection framing: a 4-byte big-endian signed length, then the
 * payload; a payload over 0x7fffffff bytes is announced by a length of -1 followed by an
 * 8-byte big-endian length (connection.py `_send_bytes`). The reader checks every announced
 * length against its limit before keeping a byte of the body, so a peer cannot choose how
 * much memory a connection holds.
 */
import { RpcError } from "../core/errors.js";

const SHORT_HEADER = 4;
const LONG_HEADER = 12;

/** The frame of `payload`, header and body in one buffer: one write, so Nagle never splits them. */
export function pyFrame(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(SHORT_HEADER + payload.length);
  out.writeInt32BE(payload.length, 0);
  out.set(payload, SHORT_HEADER);
  return out;
}

/** Bytes an encoder leaves before a payload (PickleEncodeOptions.headroom) for {@link framed}. */
export const FRAME_HEADROOM = SHORT_HEADER;

/**
 * The frame of a payload encoded after FRAME_HEADROOM spare bytes: the header is written
 * into them, so the frame costs no second buffer and no copy.
 */
export function framed(buf: Uint8Array): Uint8Array {
  const length = buf.length - SHORT_HEADER;
  if (length > 0x7fffffff) throw new RangeError(`a frame of ${length} B needs the long header, which replies never use`);
  buf[0] = length >>> 24;
  buf[1] = (length >>> 16) & 0xff;
  buf[2] = (length >>> 8) & 0xff;
  buf[3] = length & 0xff;
  return buf;
}

/** Splits a byte stream into Python frames; calls back synchronously once per whole frame. */
export class PyFrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private failed = false;
  /**
   * Bytes the frame being read needs in all, its header included, once that header is read
   * (0 before): the pieces of a large frame are joined once, when its last byte is here, not
   * again on every read, which made a 16 MiB frame in 64 KiB reads copy about 2 GiB.
   */
  private need = 0;

  constructor(
    private maxFrameBytes: number,
    private limitName: string,
    /** Receives each frame's body as a view of the received bytes. */
    private readonly onFrame: (body: Buffer) => void,
    private readonly onError: (error: RpcError) => void,
  ) {}

  /** Changes the limit, e.g. from the handshake's 256 bytes to the session's maxFrameBytes. */
  setLimit(maxFrameBytes: number, name: string): void {
    this.maxFrameBytes = maxFrameBytes;
    this.limitName = name;
  }

  /** Stops delivering frames (the connection is closing). */
  stop(): void {
    this.failed = true;
    this.chunks = [];
    this.buffered = 0;
    this.need = 0;
  }

  push(chunk: Buffer): void {
    if (this.failed) return;
    let buf = chunk;
    if (this.buffered > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
      if (this.buffered < this.need) return;
      buf = Buffer.concat(this.chunks, this.buffered);
      this.chunks = [];
      this.buffered = 0;
    }
    this.need = 0;
    let pos = 0;
    while (!this.failed && buf.length - pos >= SHORT_HEADER) {
      let length = buf.readInt32BE(pos);
      let header = SHORT_HEADER;
      if (length === -1) {
        if (buf.length - pos < LONG_HEADER) break;
        const big = buf.readBigUInt64BE(pos + SHORT_HEADER);
        length = big > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(big);
        header = LONG_HEADER;
      } else if (length < 0) {
        this.fail(new RpcError("PARSE_ERROR", `frame length ${length} is negative`));
        return;
      }
      // The limit is checked as soon as the length is known, before any body is kept.
      if (length > this.maxFrameBytes) {
        this.fail(new RpcError("RESOURCE_EXHAUSTED", `frame of ${length} B exceeds ${this.limitName} ${this.maxFrameBytes}`));
        return;
      }
      if (buf.length - pos - header < length) {
        this.need = header + length;
        break;
      }
      const body = buf.subarray(pos + header, pos + header + length);
      pos += header + length;
      this.onFrame(body);
    }
    if (!this.failed && pos < buf.length) {
      this.chunks.push(buf.subarray(pos));
      this.buffered = buf.length - pos;
    }
  }

  private fail(error: RpcError): void {
    this.stop();
    this.onError(error);
  }
}
