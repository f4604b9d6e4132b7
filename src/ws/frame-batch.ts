/**
 * The WebSocket messages one side sends in one turn of the event loop, framed (RFC 6455 5.2)
 * into a single buffer that leaves in one write. Still one farcall/1 frame per message; what
 * changes is the cost: `ws` frames each message on its own (an options object, a header
 * Buffer, two writes), which under load made a small call cost a syscall's share and most of
 * the garbage per call. Large messages do not come here: copying them into a joined buffer
 * would cost more than their write (see link.ts).
 */
import { randomFillSync } from "node:crypto";

/** A binary message with FIN set: opcode 0x2 | 0x80. */
const BINARY_FIN = 0x82;
/** The MASK bit of the second header byte; clients must set it (RFC 6455 5.3). */
const MASK_BIT = 0x80;

/** Masking keys are drawn from a pool filled by the system CSPRNG, as RFC 6455 10.3 asks. */
const POOL_BYTES = 8 * 1024;
let pool: Buffer | undefined;
let poolAt = POOL_BYTES;

export class FrameBatch {
  private frames: Uint8Array[] = [];
  /** Bytes the batch takes on the wire, headers (and masks) included. */
  wireBytes = 0;

  /** `masked`: this side is a client, whose frames carry a fresh random masking key each. */
  constructor(private readonly masked: boolean) {}

  get empty(): boolean {
    return this.frames.length === 0;
  }

  add(payload: Uint8Array): void {
    this.frames.push(payload);
    this.wireBytes += headerBytes(payload.length, this.masked) + payload.length;
  }

  /** The batch as one buffer, and the batch emptied. */
  take(): Buffer {
    const out = Buffer.allocUnsafe(this.wireBytes);
    let at = 0;
    for (const payload of this.frames) at = this.masked ? writeMasked(out, at, payload) : writePlain(out, at, payload);
    this.frames = [];
    this.wireBytes = 0;
    return out;
  }

  /** Forgets the batch (the socket closed under it). */
  clear(): void {
    this.frames = [];
    this.wireBytes = 0;
  }
}

function headerBytes(length: number, masked: boolean): number {
  const base = length < 126 ? 2 : length < 65536 ? 4 : 10;
  return masked ? base + 4 : base;
}

/** Writes the header up to (not including) the masking key; returns where the key goes. */
function writeHeader(out: Buffer, at: number, length: number, maskBit: number): number {
  out[at] = BINARY_FIN;
  if (length < 126) {
    out[at + 1] = length | maskBit;
    return at + 2;
  }
  if (length < 65536) {
    out[at + 1] = 126 | maskBit;
    out.writeUInt16BE(length, at + 2);
    return at + 4;
  }
  out[at + 1] = 127 | maskBit;
  out.writeUInt32BE(0, at + 2);
  out.writeUInt32BE(length, at + 6);
  return at + 10;
}

function writePlain(out: Buffer, at: number, payload: Uint8Array): number {
  const body = writeHeader(out, at, payload.length, 0);
  out.set(payload, body);
  return body + payload.length;
}

function writeMasked(out: Buffer, at: number, payload: Uint8Array): number {
  const key = writeHeader(out, at, payload.length, MASK_BIT);
  if (poolAt + 4 > POOL_BYTES) {
    pool ??= Buffer.allocUnsafe(POOL_BYTES);
    randomFillSync(pool);
    poolAt = 0;
  }
  const keys = pool!;
  out[key] = keys[poolAt]!;
  out[key + 1] = keys[poolAt + 1]!;
  out[key + 2] = keys[poolAt + 2]!;
  out[key + 3] = keys[poolAt + 3]!;
  poolAt += 4;
  const body = key + 4;
  const n = payload.length;
  for (let i = 0; i < n; i++) out[body + i] = payload[i]! ^ out[key + (i & 3)]!;
  return body + n;
}
