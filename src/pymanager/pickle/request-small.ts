/**
 * A manager request of the common shape read in one straight pass: `(ident, methodname,
 * args, {})` with `ident` a str or None, `methodname` a str and `args` a tuple of scalars
 * (None, bool, int, float, str, bytes), as CPython 3 writes it in protocols 2 to 5: a
 * `d[k] = v`, a `q.put(1)`, an `incref`. Anything else (a nested value, a keyword argument,
 * a memo reference, Python 2's str, a truncated or malformed pickle) gives up, having
 * changed nothing, and goes the general decoder's way with its limits and its errors.
 *
 * This is a fast path over a subset, not a second decoder: what it returns is what
 * decodePickle returns for the same bytes, except that the request's own two tuples (the
 * request and its arguments) carry no tuple mark. Neither is a value anything stores or
 * sends back (the arguments are spread into the call), and marking an array costs more than
 * the rest of the decode (a property definition each).
 */
import { RecentStrings } from "../../codecs/recent-strings.js";
import * as op from "./opcodes.js";
import { u32At } from "./reader.js";
import { decodeLong, decodeUtf8 } from "./scalars.js";

/** What {@link decodeSmallRequest} returns for a request it leaves to decodePickle. */
export const NOT_SMALL_REQUEST: unique symbol = Symbol("farcall.notSmallRequest");

/** Strings of at most this many bytes go through the table of recent strings. */
const RECENT_MAX = 64;
const recent = new RecentStrings();
const floatBytes = new Uint8Array(8);
const floatView = new DataView(floatBytes.buffer);

let buf: Uint8Array = floatBytes;
let pos = 0;
let end = 0;

/** `bytes` as a request of the common shape, or NOT_SMALL_REQUEST for anything else. */
export function decodeSmallRequest(bytes: Uint8Array): unknown[] | typeof NOT_SMALL_REQUEST {
  buf = bytes;
  pos = 0;
  end = bytes.length;
  const request = readRequest();
  buf = floatBytes; // holds no caller's buffer between requests
  return request;
}

function readRequest(): unknown[] | typeof NOT_SMALL_REQUEST {
  if (end < 8 || buf[0] !== op.PROTO || buf[1] < 2 || buf[1] > op.HIGHEST_PROTOCOL) return NOT_SMALL_REQUEST;
  pos = 2;
  if (buf[pos] === op.FRAME) {
    // The frame must hold the rest exactly: anything else is the general decoder's to judge.
    if (end - pos < 9 || frameLength() !== end - pos - 9) return NOT_SMALL_REQUEST;
    pos += 9;
  }
  if (buf[pos++] !== op.MARK) return NOT_SMALL_REQUEST;
  const ident = buf[pos] === op.NONE ? (pos++, null) : readText();
  if (ident === undefined) return NOT_SMALL_REQUEST;
  const method = readText();
  if (method === undefined) return NOT_SMALL_REQUEST;
  const args = readArgs();
  if (args === undefined || buf[pos++] !== op.EMPTY_DICT) return NOT_SMALL_REQUEST;
  skipMemo();
  if (buf[pos++] !== op.TUPLE) return NOT_SMALL_REQUEST;
  skipMemo();
  if (pos !== end - 1 || buf[pos] !== op.STOP) return NOT_SMALL_REQUEST;
  return [ident, method, args, {}];
}

function frameLength(): number {
  let n = 0;
  for (let k = 8; k >= 1; k--) n = n * 256 + buf[pos + k];
  return n;
}

/** The arguments tuple: EMPTY_TUPLE, scalars then TUPLE1-3, or MARK, scalars, TUPLE. */
function readArgs(): unknown[] | undefined {
  if (buf[pos] === op.EMPTY_TUPLE) {
    pos++;
    return [];
  }
  const marked = buf[pos] === op.MARK;
  if (marked) pos++;
  const args: unknown[] = [];
  for (;;) {
    if (pos >= end) return undefined;
    const code = buf[pos];
    if (marked ? code === op.TUPLE : code >= op.TUPLE1 && code <= op.TUPLE3) {
      if (!marked && args.length !== code - op.TUPLE1 + 1) return undefined;
      pos++;
      skipMemo();
      return args;
    }
    // A value that is not a scalar of the subset leaves the request to the general decoder.
    if (args.length >= 16) return undefined;
    const value = readScalar();
    if (value === NOT_SMALL_REQUEST) return undefined;
    args.push(value);
  }
}

function readScalar(): unknown {
  const code = buf[pos++];
  const left = end - pos;
  switch (code) {
    case op.NONE: return null;
    case op.NEWTRUE: return true;
    case op.NEWFALSE: return false;
    case op.BININT1:
      if (left < 1) return NOT_SMALL_REQUEST;
      return buf[pos++];
    case op.BININT2:
      if (left < 2) return NOT_SMALL_REQUEST;
      pos += 2;
      return buf[pos - 2] | (buf[pos - 1] << 8);
    case op.BININT:
      if (left < 4) return NOT_SMALL_REQUEST;
      pos += 4;
      return buf[pos - 4] | (buf[pos - 3] << 8) | (buf[pos - 2] << 16) | (buf[pos - 1] << 24);
    case op.LONG1: {
      if (left < 1 || buf[pos] > left - 1) return NOT_SMALL_REQUEST;
      const n = buf[pos];
      const value = decodeLong(buf, pos + 1, n);
      pos += 1 + n;
      return value;
    }
    case op.BINFLOAT:
      if (left < 8) return NOT_SMALL_REQUEST;
      for (let k = 0; k < 8; k++) floatBytes[k] = buf[pos + k];
      pos += 8;
      return floatView.getFloat64(0, false);
    case op.SHORT_BINUNICODE:
    case op.BINUNICODE:
      pos--;
      return readText() ?? NOT_SMALL_REQUEST;
    case op.SHORT_BINBYTES:
      return left < 1 ? NOT_SMALL_REQUEST : readBytes(buf[pos], 1);
    case op.BINBYTES:
      return left < 4 ? NOT_SMALL_REQUEST : readBytes(u32At(buf, pos), 4);
    default:
      return NOT_SMALL_REQUEST;
  }
}

/** `n` bytes after a `header`-byte length, and their memo entry. */
function readBytes(n: number, header: number): Uint8Array | typeof NOT_SMALL_REQUEST {
  const first = pos + header;
  if (n > end - first) return NOT_SMALL_REQUEST;
  // A copy, as the general decoder makes: a view would keep the whole read buffer alive.
  const bytes = new Uint8Array(buf.subarray(first, first + n));
  pos = first + n;
  skipMemo();
  return bytes;
}

/** A str (SHORT_BINUNICODE or BINUNICODE) and its memo entry, or undefined. */
function readText(): string | undefined {
  const code = buf[pos];
  let n: number;
  let first: number;
  if (code === op.SHORT_BINUNICODE && end - pos >= 2) {
    n = buf[pos + 1];
    first = pos + 2;
  } else if (code === op.BINUNICODE && end - pos >= 5) {
    n = u32At(buf, pos + 1);
    first = pos + 5;
  } else {
    return undefined;
  }
  const stop = first + n;
  if (n > end - first) return undefined;
  const text = (n <= RECENT_MAX ? recent.read(buf, first, stop) : undefined) ?? decodeUtf8(buf, first, stop);
  if (text === undefined) return undefined;
  pos = stop;
  skipMemo();
  return text;
}

/** The memo entry CPython writes after a str, bytes or tuple: MEMOIZE, BINPUT or LONG_BINPUT. */
function skipMemo(): void {
  const code = buf[pos];
  if (code === op.MEMOIZE) pos++;
  else if (code === op.BINPUT) pos += 2;
  else if (code === op.LONG_BINPUT) pos += 5;
}
