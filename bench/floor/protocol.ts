/**
 * The floor's request format: the body of every request frame is a 1-byte opcode and its
 * operands; the reply frame holds only the result (a stream: one frame per item, then an
 * empty frame). Small frames are built in one buffer, the echo payload is written after its
 * header without a copy.
 */
import type { Socket } from "node:net";

export const OP = Object.freeze({
  /** [op][a: int32][b: int32] → [sum: int32] */
  add: 1,
  /** [op][bytes…] → [bytes…] */
  echo: 2,
  /** [op][key: utf8] → [value: float64] */
  get: 3,
  /** [op][key: utf8] → [] */
  inc: 4,
  /**
   * [op][n: uint32][chunkBytes: uint32] → n frames, then an empty frame. Each item is
   * [i: int32] for i in 0..n-1 when chunkBytes is 0, else a chunkBytes-byte chunk.
   */
  stream: 5,
  /** [op] → nothing: the running stream ends early, with its empty frame. */
  stop: 6,
});

/** Largest frame either side accepts: the W3 payload with room to spare. */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;

export function writeAdd(socket: Socket, a: number, b: number): void {
  const buf = Buffer.allocUnsafe(4 + 9);
  buf.writeUInt32BE(9, 0);
  buf[4] = OP.add;
  buf.writeInt32BE(a, 5);
  buf.writeInt32BE(b, 9);
  socket.write(buf);
}

export function writeEcho(socket: Socket, payload: Uint8Array): void {
  const head = Buffer.allocUnsafe(5);
  head.writeUInt32BE(1 + payload.length, 0);
  head[4] = OP.echo;
  socket.cork();
  socket.write(head);
  socket.write(payload);
  socket.uncork();
}

export function writeKeyOp(socket: Socket, op: number, key: string): void {
  const keyBytes = Buffer.byteLength(key);
  const buf = Buffer.allocUnsafe(5 + keyBytes);
  buf.writeUInt32BE(1 + keyBytes, 0);
  buf[4] = op;
  buf.write(key, 5);
  socket.write(buf);
}

export function writeStream(socket: Socket, n: number, chunkBytes: number): void {
  const buf = Buffer.allocUnsafe(4 + 9);
  buf.writeUInt32BE(9, 0);
  buf[4] = OP.stream;
  buf.writeUInt32BE(n, 5);
  buf.writeUInt32BE(chunkBytes, 9);
  socket.write(buf);
}

export function writeStop(socket: Socket): void {
  socket.write(Buffer.from([0, 0, 0, 1, OP.stop]));
}
