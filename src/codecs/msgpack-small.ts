/**
 * The MessagePack of a plain call, written and read without msgpackr: short arrays of
 * integers, floats, ASCII strings, booleans, null and undefined, as in `[CALL, 7, "add",
 * [1, 2]]` and `[RESULT, 7, 3]`. Such a message is most of what a busy connection carries,
 * and msgpackr's setup per document (its buffer, limits scan, string extractor, the Buffer
 * view it returns) costs several times the bytes themselves (bench W2 profile).
 *
 * Both functions give up, having changed nothing, on anything else (maps, bytes, arrays
 * marked with a Python type, non-ASCII or long strings, big or negative-zero numbers, deep
 * nesting, any malformed or truncated input), and the caller then takes msgpackr's path,
 * limits scan and all. What they accept is written byte for byte as msgpackr writes it and
 * read as msgpackr reads it (test/codecs/msgpack-small.test.ts holds them to that).
 */
import { PYTHON_MARKS, PYTHON_TYPE } from "../core/python-types.js";
import { RecentStrings } from "./recent-strings.js";

/** Documents above this size are left to msgpackr. */
export const SMALL_DOCUMENT_BYTES = 128;
/** Arrays of more elements are left to msgpackr (a fixarray holds up to 15). */
const MAX_ELEMENTS = 15;
/** Strings of more characters are left to msgpackr. */
const MAX_STRING = 64;

// ---- writing ------------------------------------------------------------------------------

const out = new Uint8Array(SMALL_DOCUMENT_BYTES);
const outView = new DataView(out.buffer);
/**
 * Whether a value was ever marked with a Python type, read once per document: until one is,
 * arrays are not looked at for a mark.
 */
let lookForMarks = false;
const MARK: symbol = PYTHON_TYPE;

/**
 * The bytes of `value` when it is a small plain array within `maxDepth` levels, else
 * undefined. The result is a fresh array of exactly its size.
 */
export function packSmall(value: unknown, maxDepth: number): Uint8Array | undefined {
  if (!Array.isArray(value)) return undefined;
  lookForMarks = PYTHON_MARKS.made;
  const n = writeArray(value, 0, 1, maxDepth);
  if (n < 0) return undefined;
  const bytes = new Uint8Array(n);
  for (let i = 0; i < n; i++) bytes[i] = out[i]!;
  return bytes;
}

// The writers take the position and return the next one, or -1 to give up: a position kept
// in a module variable cost a load and a store per byte written.

function writeArray(value: unknown[], p: number, depth: number, maxDepth: number): number {
  const n = value.length;
  // A subclass, an array marked with a Python type (a tuple), or nesting past the limit goes
  // the general way (which refuses the latter).
  if (n > MAX_ELEMENTS || depth > maxDepth || value.constructor !== Array || p + 1 > SMALL_DOCUMENT_BYTES) return -1;
  if (lookForMarks && (value as unknown as Record<symbol, unknown>)[MARK] !== undefined) return -1;
  out[p++] = 0x90 | n;
  for (let i = 0; i < n && p >= 0; i++) p = writeValue(value[i], p, depth, maxDepth);
  return p;
}

function writeValue(v: unknown, p: number, depth: number, maxDepth: number): number {
  // Every scalar below takes at most 9 bytes; strings check their own room.
  if (p + 9 > SMALL_DOCUMENT_BYTES) return -1;
  switch (typeof v) {
    case "number":
      return writeNumber(v, p);
    case "string":
      return writeString(v, p);
    case "boolean":
      out[p] = v ? 0xc3 : 0xc2;
      return p + 1;
    case "undefined":
      // msgpackr's undefined: fixext 1, type 0, data 0.
      out[p] = 0xd4;
      out[p + 1] = 0;
      out[p + 2] = 0;
      return p + 3;
    case "object":
      if (v === null) {
        out[p] = 0xc0;
        return p + 1;
      }
      return Array.isArray(v) ? writeArray(v, p, depth + 1, maxDepth) : -1;
    default:
      return -1;
  }
}

/** msgpackr's choice of form for a number (useRecords false, no float32). */
function writeNumber(v: number, p: number): number {
  if (v >>> 0 === v) {
    if (v === 0 && 1 / v < 0) return -1; // -0 travels as its own extension
    if (v < 0x80) {
      out[p] = v;
      return p + 1;
    }
    if (v < 0x100) {
      out[p] = 0xcc;
      out[p + 1] = v;
      return p + 2;
    }
    if (v < 0x10000) {
      out[p] = 0xcd;
      out[p + 1] = v >> 8;
      out[p + 2] = v & 0xff;
      return p + 3;
    }
    // Call ids live here: byte stores beat a DataView call.
    out[p] = 0xce;
    out[p + 1] = v >>> 24;
    out[p + 2] = (v >>> 16) & 0xff;
    out[p + 3] = (v >>> 8) & 0xff;
    out[p + 4] = v & 0xff;
    return p + 5;
  }
  if (v >> 0 === v) {
    if (v >= -0x20) {
      out[p] = 0x100 + v;
      return p + 1;
    }
    if (v >= -0x80) {
      out[p] = 0xd0;
      out[p + 1] = v + 0x100;
      return p + 2;
    }
    if (v >= -0x8000) {
      out[p] = 0xd1;
      outView.setInt16(p + 1, v);
      return p + 3;
    }
    out[p] = 0xd2;
    outView.setInt32(p + 1, v);
    return p + 5;
  }
  out[p] = 0xcb;
  outView.setFloat64(p + 1, v);
  return p + 9;
}

function writeString(s: string, p: number): number {
  const n = s.length;
  if (n > MAX_STRING || p + 2 + n > SMALL_DOCUMENT_BYTES) return -1;
  let q = p + (n < 0x20 ? 1 : 2);
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return -1;
    out[q++] = c;
  }
  if (n < 0x20) out[p] = 0xa0 | n;
  else {
    out[p] = 0xd9;
    out[p + 1] = n;
  }
  return q;
}

// ---- reading ------------------------------------------------------------------------------

/** What {@link unpackSmall} returns for a document it leaves to msgpackr. */
export const NOT_SMALL: unique symbol = Symbol("farcall.notSmall");

let src: Uint8Array = out;
let pos = 0;
let end = 0;
let failed = false;

/**
 * Bytes `start` to `end` of `bytes` read as one document of the kinds packSmall writes, or
 * NOT_SMALL for any other document (valid or not) and for nesting beyond `maxDepth`.
 */
export function unpackSmall(bytes: Uint8Array, start: number, stop: number, maxDepth: number): unknown {
  if (stop - start > SMALL_DOCUMENT_BYTES || stop <= start || (bytes[start]! & 0xf0) !== 0x90) return NOT_SMALL;
  src = bytes;
  pos = start;
  end = stop;
  failed = false;
  const doc = readArray(1, maxDepth);
  src = out; // holds no caller's buffer between documents
  return failed || pos !== stop ? NOT_SMALL : doc;
}

function readArray(depth: number, maxDepth: number): unknown[] | undefined {
  const n = src[pos++]! & 0x0f;
  if (depth > maxDepth || n > end - pos) {
    failed = true;
    return undefined;
  }
  const array = new Array<unknown>(n);
  for (let i = 0; i < n && !failed; i++) array[i] = readValue(depth, maxDepth);
  return array;
}

function readValue(depth: number, maxDepth: number): unknown {
  if (pos >= end) return fail();
  const b = src[pos]!;
  if (b < 0x80) {
    pos++;
    return b;
  }
  if (b >= 0xe0) {
    pos++;
    return b - 0x100;
  }
  if (b >= 0xa0 && b <= 0xbf) return readString(b & 0x1f, 1);
  if (b >= 0x90 && b <= 0x9f) return readArray(depth + 1, maxDepth);
  const left = end - pos - 1;
  switch (b) {
    case 0xc0:
      pos++;
      return null;
    case 0xc2:
      pos++;
      return false;
    case 0xc3:
      pos++;
      return true;
    case 0xcc:
      if (left < 1) return fail();
      pos += 2;
      return src[pos - 1];
    case 0xcd:
      if (left < 2) return fail();
      pos += 3;
      return (src[pos - 2]! << 8) | src[pos - 1]!;
    case 0xce:
      if (left < 4) return fail();
      pos += 5;
      return src[pos - 4]! * 0x1000000 + ((src[pos - 3]! << 16) | (src[pos - 2]! << 8) | src[pos - 1]!);
    case 0xd0:
      if (left < 1) return fail();
      pos += 2;
      return (src[pos - 1]! << 24) >> 24;
    case 0xd1:
      if (left < 2) return fail();
      pos += 3;
      return (((src[pos - 2]! << 8) | src[pos - 1]!) << 16) >> 16;
    case 0xd2:
      if (left < 4) return fail();
      pos += 5;
      return (src[pos - 4]! << 24) | (src[pos - 3]! << 16) | (src[pos - 2]! << 8) | src[pos - 1]!;
    case 0xcb:
      if (left < 8) return fail();
      for (let i = 0; i < 8; i++) out[i] = src[pos + 1 + i]!;
      pos += 9;
      return outView.getFloat64(0);
    case 0xd4:
      // Only msgpackr's own undefined; other fixext 1 values go the general way.
      if (left < 2 || src[pos + 1] !== 0 || src[pos + 2] !== 0) return fail();
      pos += 3;
      return undefined;
    case 0xd9:
      if (left < 1) return fail();
      return readString(src[pos + 1]!, 2);
    default:
      return fail();
  }
}

/** The strings read lately: a method name or key seen before costs a comparison, not a new string. */
const recent = new RecentStrings();

/** An ASCII string of `n` bytes after a `header`-byte header; anything else is left to msgpackr. */
function readString(n: number, header: number): unknown {
  const first = pos + header;
  const stop = first + n;
  if (n > MAX_STRING || stop > end) return fail();
  const s = recent.read(src, first, stop);
  if (s === undefined) return fail();
  pos = stop;
  return s;
}

function fail(): undefined {
  failed = true;
  return undefined;
}
