/**
 * The byte side of the pickle decoder: a cursor over the input that reads opcode arguments,
 * checking every length against the bytes left before anything is allocated from it.
 */
import type { RpcError } from "../../core/errors.js";
import { decodeLong, decodeUtf8, malformed } from "./scalars.js";

export class PickleReader {
  pos = 0;
  /** Byte offset of the opcode being run, for error messages. */
  at = 0;
  readonly end: number;

  constructor(readonly buf: Uint8Array) {
    this.end = buf.length;
  }

  /** A PARSE_ERROR naming the offset of the current opcode. */
  fail(message: string): RpcError {
    return malformed(`${message} at byte ${this.at}`);
  }

  need(n: number): void {
    if (n > this.end - this.pos) throw this.fail("pickle is truncated");
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++];
  }

  u16(): number {
    this.need(2);
    const p = this.pos;
    this.pos += 2;
    return this.buf[p] | (this.buf[p + 1] << 8);
  }

  u32(): number {
    this.need(4);
    this.pos += 4;
    return u32At(this.buf, this.pos - 4);
  }

  /** An 8-byte length; past 2^53 it is inexact, but then far larger than any input. */
  u64(): number {
    const low = this.u32();
    return this.u32() * 0x100000000 + low;
  }

  /** Bounds of the text up to the next newline, which is consumed. */
  line(): [number, number] {
    const nl = this.buf.indexOf(0x0a, this.pos);
    if (nl < 0) throw this.fail("pickle is truncated (no newline)");
    const start = this.pos;
    this.pos = nl + 1;
    return [start, nl];
  }

  /** A line as UTF-8 text: a module or attribute name of GLOBAL or INST. */
  lineText(opcode: string): string {
    const [s, e] = this.line();
    const text = decodeUtf8(this.buf, s, e);
    if (text === undefined) throw this.fail(`${opcode} name is not UTF-8`);
    return text;
  }

  text(n: number, opcode: string): string {
    this.need(n);
    const text = decodeUtf8(this.buf, this.pos, this.pos + n);
    if (text === undefined) throw this.fail(`${opcode} is not UTF-8`);
    this.pos += n;
    return text;
  }

  bytes(n: number): Uint8Array {
    this.need(n);
    // A copy: a view would keep the caller's whole receive buffer alive.
    const out = new Uint8Array(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return out;
  }

  long(n: number): number | bigint {
    this.need(n);
    const value = decodeLong(this.buf, this.pos, n);
    this.pos += n;
    return value;
  }

  /** Python 2's str: text when its bytes are UTF-8, else the bytes themselves. */
  legacyString(n: number): string | Uint8Array {
    return legacyText(this.bytes(n));
  }
}

/** The unsigned little-endian 32-bit integer at `p` of `b` (a pickle's lengths); the caller checks the bounds. */
export function u32At(b: Uint8Array, p: number): number {
  return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16)) + b[p + 3] * 0x1000000;
}

/** Bytes of a Python 2 str as text when they are UTF-8, else as they are. */
export function legacyText(bytes: Uint8Array): string | Uint8Array {
  return decodeUtf8(bytes, 0, bytes.length) ?? bytes;
}
