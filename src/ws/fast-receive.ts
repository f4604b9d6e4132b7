/**
 * The receiving half of the turn batching in frame-batch.ts: small, whole binary messages
 * read straight from each chunk the socket gives `ws`'s Receiver, before it parses them.
 * The Receiver handles a message as a state machine over a buffer list, allocating four to
 * six Buffer views and emitting two events per message; under W2 that was a fifth of the
 * server's CPU per call. Here a chunk that starts at a frame boundary is walked in place,
 * and each frame that is a complete, unfragmented, uncompressed binary message under
 * FAST_MAX_BYTES, masked exactly when the peer is a client (RFC 6455 5.1) and within
 * maxPayload, is handed to the link as a view of the chunk (unmasked in place, as `ws`
 * does). The first frame that is anything else (a control frame, a fragment, a text or a
 * large message, a frame cut by the chunk's end, a broken header) and everything after it
 * go to the Receiver unchanged, which then validates, answers and closes as it always does;
 * so does every chunk while the Receiver is mid-frame or past a close frame. This reads the
 * Receiver's private fields (`ws` 8.x); where they are not as expected it is not installed.
 */
import type { WebSocket } from "ws";

/** Largest payload read here; larger ones are cheaper to leave to `ws` (and bufferutil). */
const FAST_MAX_BYTES = 16 * 1024;
/** FIN, no RSV bits (no compression), binary opcode. */
const BINARY_FIN = 0x82;
/** The Receiver's state between frames. */
const GET_INFO = 0;
/** The close opcode: once the Receiver saw one, it reads nothing more. */
const CLOSE_OPCODE = 0x08;

type WriteCallback = (error?: Error | null) => void;

/** The fields of ws's Receiver read here (lib/receiver.js, ws 8.x). */
interface ReceiverInternals {
  _write(chunk: Buffer, encoding: string, cb: WriteCallback): void;
  _state: number;
  _bufferedBytes: number;
  _fragmented: number;
  _opcode: number;
  _errored: boolean;
  _isServer: boolean;
  _maxPayload: number;
}

/**
 * Routes `socket`'s small binary messages to `deliver` as they are cut from each chunk;
 * false (nothing changed) where the Receiver is not the one this was written against.
 */
export function installFastReceive(socket: WebSocket, deliver: (data: Buffer) => void): boolean {
  const receiver = (socket as unknown as { _receiver?: Partial<ReceiverInternals> })._receiver;
  if (!receiver || !isReceiver(receiver)) return false;
  const parse = receiver._write;
  const masked = receiver._isServer;
  const maxPayload = receiver._maxPayload > 0 ? Math.min(receiver._maxPayload, FAST_MAX_BYTES) : FAST_MAX_BYTES;
  receiver._write = function fastWrite(this: ReceiverInternals, chunk: Buffer, encoding: string, cb: WriteCallback): void {
    if (this._state !== GET_INFO || this._bufferedBytes !== 0 || this._fragmented !== 0 || this._opcode === CLOSE_OPCODE || this._errored) {
      return parse.call(this, chunk, encoding, cb);
    }
    const end = chunk.length;
    let at = 0;
    while (at < end) {
      const next = frameEnd(chunk, at, end, masked, maxPayload);
      if (next < 0) break;
      const length = chunk[at + 1]! & 0x7f;
      const head = at + (length === 126 ? 4 : 2);
      const body = masked ? head + 4 : head;
      if (masked) unmask(chunk, head, body, next);
      at = next;
      deliver(chunk.subarray(body, next));
      // The handler may have closed the socket; what follows is the Receiver's to judge.
      if (socket.readyState !== socket.OPEN) break;
    }
    if (at === end) return cb();
    parse.call(this, at === 0 ? chunk : chunk.subarray(at), encoding, cb);
  };
  return true;
}

/**
 * Where the frame at `at` ends, if it is a whole small binary message this side may take
 * (masked exactly when `masked`, at most `maxPayload` bytes); -1 for anything else.
 */
function frameEnd(chunk: Buffer, at: number, end: number, masked: boolean, maxPayload: number): number {
  if (end - at < 2 || chunk[at] !== BINARY_FIN) return -1;
  const second = chunk[at + 1]!;
  if ((second & 0x80) !== (masked ? 0x80 : 0)) return -1;
  let length = second & 0x7f;
  let head = at + 2;
  if (length === 127) return -1;
  if (length === 126) {
    if (end - at < 4) return -1;
    length = (chunk[at + 2]! << 8) | chunk[at + 3]!;
    head = at + 4;
  }
  if (length > maxPayload) return -1;
  const next = head + (masked ? 4 : 0) + length;
  return next <= end ? next : -1;
}

/** Unmasks the payload `[body, end)` in place with the 4-byte key at `key` (RFC 6455 5.3). */
function unmask(chunk: Buffer, key: number, body: number, end: number): void {
  const k0 = chunk[key]!;
  const k1 = chunk[key + 1]!;
  const k2 = chunk[key + 2]!;
  const k3 = chunk[key + 3]!;
  let i = body;
  for (; i + 3 < end; i += 4) {
    chunk[i] ^= k0;
    chunk[i + 1] ^= k1;
    chunk[i + 2] ^= k2;
    chunk[i + 3] ^= k3;
  }
  if (i < end) chunk[i++] ^= k0;
  if (i < end) chunk[i++] ^= k1;
  if (i < end) chunk[i] ^= k2;
}

function isReceiver(r: Partial<ReceiverInternals>): r is ReceiverInternals {
  return (
    typeof r._write === "function" &&
    typeof r._state === "number" &&
    typeof r._bufferedBytes === "number" &&
    typeof r._fragmented === "number" &&
    typeof r._opcode === "number" &&
    typeof r._errored === "boolean" &&
    typeof r._isServer === "boolean" &&
    typeof r._maxPayload === "number"
  );
}
