/**
 * Reading pickle's scalar forms: UTF-8 with CPython's `surrogatepass`, the text forms of
 * protocol 0 (decimal ints, float repr, raw-unicode-escape, Python 2 string literals) and
 * little-endian two's-complement integers. Each function reads bytes `start` to `end` of
 * `buf` and throws RpcError("PARSE_ERROR") for malformed input.
 */
import { RpcError } from "../../core/errors.js";

/**
 * A decimal int of more digits than this is refused. About 1 KiB of binary (LONG4's
 * limit); BigInt parsing cost grows with the square of the length, and CPython itself
 * refuses 4300 digits by default.
 */
export const MAX_INT_DIGITS = 2500;

export function malformed(message: string): RpcError {
  return new RpcError("PARSE_ERROR", `malformed pickle: ${message}`);
}

// ignoreBOM keeps a leading U+FEFF, as Python does; fatal makes bad bytes an error, not U+FFFD.
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Strings shorter than this are decoded by a loop: cheaper than a TextDecoder call. */
const SHORT_STRING = 24;

/**
 * Text of UTF-8 bytes, lone surrogates allowed (CPython writes str with `surrogatepass`),
 * or undefined when the bytes are not such text.
 */
export function decodeUtf8(buf: Uint8Array, start: number, end: number): string | undefined {
  if (end - start < SHORT_STRING) {
    let s = "";
    let i = start;
    for (; i < end && buf[i] < 0x80; i++) s += String.fromCharCode(buf[i]);
    if (i === end) return s;
  }
  try {
    return utf8.decode(buf.subarray(start, end));
  } catch {
    // Not strict UTF-8: perhaps lone surrogates, which only the slow path accepts.
    return decodeSurrogatePass(buf, start, end);
  }
}

function decodeSurrogatePass(buf: Uint8Array, start: number, end: number): string | undefined {
  const units: number[] = [];
  let i = start;
  while (i < end) {
    const b0 = buf[i];
    let cp: number;
    let need: number;
    let min: number;
    if (b0 < 0x80) { cp = b0; need = 0; min = 0; }
    else if (b0 >= 0xc2 && b0 <= 0xdf) { cp = b0 & 0x1f; need = 1; min = 0x80; }
    else if (b0 >= 0xe0 && b0 <= 0xef) { cp = b0 & 0x0f; need = 2; min = 0x800; }
    else if (b0 >= 0xf0 && b0 <= 0xf4) { cp = b0 & 0x07; need = 3; min = 0x10000; }
    else return undefined;
    for (let k = 1; k <= need; k++) {
      const b = buf[i + k];
      if (i + k >= end || (b & 0xc0) !== 0x80) return undefined;
      cp = (cp << 6) | (b & 0x3f);
    }
    if (cp < min || cp > 0x10ffff) return undefined;
    i += need + 1;
    pushCodePoint(units, cp);
  }
  return fromUnits(units);
}

/** Appends `cp` as UTF-16: one unit, or a surrogate pair above the BMP. */
function pushCodePoint(units: number[], cp: number): void {
  if (cp >= 0x10000) {
    cp -= 0x10000;
    units.push(0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
  } else {
    units.push(cp);
  }
}

/** A string of UTF-16 code units, in chunks: spreading a huge array overflows the call stack. */
function fromUnits(units: number[]): string {
  let s = "";
  for (let i = 0; i < units.length; i += 8192) s += String.fromCharCode(...units.slice(i, i + 8192));
  return s;
}

function hexValue(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x61 && b <= 0x66) return b - 0x57;
  if (b >= 0x41 && b <= 0x46) return b - 0x37;
  return -1;
}

/**
 * Python's `raw-unicode-escape` decoding (the UNICODE opcode): bytes are Latin-1 characters,
 * except `\uXXXX` and `\UXXXXXXXX` after an odd run of backslashes.
 */
export function decodeRawUnicodeEscape(buf: Uint8Array, start: number, end: number): string {
  const units: number[] = [];
  let i = start;
  while (i < end) {
    if (buf[i] !== 0x5c) {
      units.push(buf[i++]);
      continue;
    }
    const run = i;
    while (i < end && buf[i] === 0x5c) units.push(buf[i++]);
    if (((i - run) & 1) === 0 || i >= end || (buf[i] !== 0x75 && buf[i] !== 0x55)) continue;
    units.pop(); // the backslash that starts the escape
    const digits = buf[i] === 0x75 ? 4 : 8;
    i++;
    if (i + digits > end) throw malformed("truncated \\uXXXX escape in UNICODE");
    let cp = 0;
    for (let k = 0; k < digits; k++) {
      const h = hexValue(buf[i + k]);
      if (h < 0) throw malformed("truncated \\uXXXX escape in UNICODE");
      cp = cp * 16 + h;
    }
    i += digits;
    if (cp > 0x10ffff) throw malformed("\\Uxxxxxxxx out of range in UNICODE");
    pushCodePoint(units, cp);
  }
  return fromUnits(units);
}

const SIMPLE_ESCAPES: Record<number, number> = {
  0x5c: 0x5c, 0x27: 0x27, 0x22: 0x22, 0x61: 0x07, 0x62: 0x08, 0x66: 0x0c,
  0x6e: 0x0a, 0x72: 0x0d, 0x74: 0x09, 0x76: 0x0b,
};

/**
 * The bytes of a Python 2 string literal body (the STRING opcode, quotes removed), as
 * `codecs.escape_decode` reads it: `\n`-style escapes, `\xhh`, up to three octal digits,
 * an escaped newline dropped, any other backslash kept.
 */
export function decodeEscapedString(buf: Uint8Array, start: number, end: number): Uint8Array {
  const out = new Uint8Array(end - start);
  let n = 0;
  let i = start;
  while (i < end) {
    const b = buf[i++];
    if (b !== 0x5c) {
      out[n++] = b;
      continue;
    }
    if (i >= end) throw malformed("STRING ends with a lone backslash");
    const e = buf[i++];
    const simple = SIMPLE_ESCAPES[e];
    if (simple !== undefined) {
      out[n++] = simple;
    } else if (e === 0x0a) {
      // A backslash-newline continues the literal.
    } else if (e >= 0x30 && e <= 0x37) {
      let v = e - 0x30;
      for (let k = 0; k < 2 && i < end && buf[i] >= 0x30 && buf[i] <= 0x37; k++) v = v * 8 + (buf[i++] - 0x30);
      out[n++] = v & 0xff;
    } else if (e === 0x78) {
      const hi = i < end ? hexValue(buf[i]) : -1;
      const lo = i + 1 < end ? hexValue(buf[i + 1]) : -1;
      if (hi < 0 || lo < 0) throw malformed("invalid \\x escape in STRING");
      out[n++] = hi * 16 + lo;
      i += 2;
    } else {
      out[n++] = 0x5c;
      out[n++] = e;
    }
  }
  return out.slice(0, n);
}

/**
 * A decimal integer (INT, LONG and the text memo opcodes): optional sign, then digits. A
 * number when it is a safe integer, else a BigInt. Digits are counted before parsing.
 */
export function parseDecimal(buf: Uint8Array, start: number, end: number, opcode: string): number | bigint {
  let i = start;
  if (i < end && (buf[i] === 0x2b || buf[i] === 0x2d)) i++;
  if (i === end) throw malformed(`${opcode} has no digits`);
  if (end - i > MAX_INT_DIGITS) {
    throw new RpcError("RESOURCE_EXHAUSTED", `pickle ${opcode} of ${end - i} digits exceeds ${MAX_INT_DIGITS}`);
  }
  for (let k = i; k < end; k++) {
    if (buf[k] < 0x30 || buf[k] > 0x39) throw malformed(`${opcode} is not a decimal integer`);
  }
  let text = "";
  for (let k = start; k < end; k++) text += String.fromCharCode(buf[k]);
  // -0 is 0: Python ints have no negative zero.
  if (end - i <= 15) return Number(text) || 0;
  const big = BigInt(text);
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

const FLOAT_TEXT = /^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf(?:inity)?|nan)$/i;

/** The FLOAT opcode's text: a Python float repr such as `1.5`, `1e+300`, `inf`, `nan`. */
export function parseFloatText(buf: Uint8Array, start: number, end: number): number {
  let text = "";
  for (let k = start; k < end; k++) text += String.fromCharCode(buf[k]);
  if (!FLOAT_TEXT.test(text)) throw malformed("FLOAT is not a float literal");
  const lower = text.toLowerCase();
  if (lower.endsWith("nan")) return NaN;
  if (lower.endsWith("inf") || lower.endsWith("infinity")) return lower[0] === "-" ? -Infinity : Infinity;
  return Number(text);
}

const HEX_BYTES = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));

/**
 * A little-endian two's-complement integer of `n` bytes (LONG1, LONG4; zero bytes is 0):
 * a number when it is a safe integer, else a BigInt.
 */
export function decodeLong(buf: Uint8Array, start: number, n: number): number | bigint {
  if (n === 0) return 0;
  if (n <= 6) {
    let v = 0;
    for (let k = n - 1; k >= 0; k--) v = v * 256 + buf[start + k];
    return buf[start + n - 1] & 0x80 ? v - 2 ** (8 * n) : v;
  }
  let hex = "0x";
  for (let k = n - 1; k >= 0; k--) hex += HEX_BYTES[buf[start + k]];
  let big = BigInt(hex);
  if (buf[start + n - 1] & 0x80) big -= 1n << BigInt(8 * n);
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}
