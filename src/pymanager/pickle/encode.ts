/**
 * Encodes JavaScript values as pickles that Python's default unpickler loads, in the forms
 * CPython's own pickler writes at the same protocol: 2 (read by Python 2.7 and 3), 3, or 4
 * (the default of Python 3.8 to 3.13).
 *
 * JavaScript to Python: null and undefined are None; a number is an int when it is a safe
 * integer (never -0), else a float (NaN and the infinities included); a BigInt is an int; a
 * string is a str; a Uint8Array (Buffer included) is bytes; an array is a list; a plain
 * object and a Map are dicts; a Set is a set; a Date is a `datetime.datetime` (aware, UTC)
 * unless marked otherwise; values marked by python-types.ts keep their Python type (an array
 * marked as a tuple is a tuple, and so on); a {@link PickleTuple} is a tuple and a
 * {@link PickleGlobal} a call of a named global.
 *
 * Nothing is memoised: values are written as trees, so a value reached twice is written
 * twice and a cyclic value is refused (it nests past maxDepth). Protocol 4 is written
 * without FRAME opcodes, which are optional for an unpickler reading from memory.
 */
import { RpcError } from "../../core/errors.js";
import { MAX_DEPTH_LIMIT } from "./graph.js";
import * as op from "./opcodes.js";
import { PickleGlobal, PickleGlobalRef, PickleNativeStr, PickleTuple } from "./values.js";
import { isTuple, pythonTypeOf } from "./python-types.js";
import { isHashableClass, pythonGlobal } from "./stdlib-values.js";
import { latin1Utf8Length, PickleWriter, utf8Length } from "./writer.js";

/** Options of {@link encodePickle}. */
export interface PickleEncodeOptions {
  /** Pickle protocol: 2 for a Python 2.7 peer, 3, or 4. @default 4 */
  protocol?: 2 | 3 | 4;
  /** Deepest nesting of containers written, at most 1000; a cyclic value fails here. @default 64 */
  maxDepth?: number;
  /**
   * At protocol 2, writes an all-ASCII string as Python 2's native `str` (SHORT_BINSTRING),
   * which a 2.7 peer reads as `str` and Python 3 as `str` too; any other string stays
   * `unicode`. For answering a Python 2.7 client, whose plain `'text'` then comes back as
   * it went. @default false
   */
  asciiAsNativeStr?: boolean;
  /**
   * Zero bytes to leave before the pickle in the returned buffer, for a frame header the
   * caller fills in, so a framed message is made with one allocation and no copy. @default 0
   */
  headroom?: number;
}

/** Defaults of {@link PickleEncodeOptions}. */
export const PICKLE_ENCODE_DEFAULTS = Object.freeze({ protocol: 4 as 2 | 3 | 4, maxDepth: 64 });

/** Room for any frame header (multiprocessing.connection's is 4 or 12 bytes). */
const MAX_HEADROOM = 64;

/** CPython writes list, dict and set items in batches of this many (pickle.py _BATCHSIZE). */
const BATCH = 1000;

interface Encoder {
  readonly w: PickleWriter;
  readonly protocol: 2 | 3 | 4;
  readonly maxDepth: number;
  readonly nativeStr: boolean;
}

function invalid(message: string): RpcError {
  return new RpcError("INVALID_PARAMS", `value cannot be pickled: ${message}`);
}

/**
 * The pickle of `value`. Throws RpcError INVALID_PARAMS for a value Python could not load
 * as intended (a function, a class instance, a dict key Python cannot hash, nesting past
 * maxDepth or a cycle).
 *
 * @example encodePickle(pickleTuple("#RETURN", 10))   // 80 04 8c 07 #RETURN 4b 0a 86 2e
 */
export function encodePickle(value: unknown, options?: PickleEncodeOptions): Uint8Array {
  const protocol = options?.protocol ?? PICKLE_ENCODE_DEFAULTS.protocol;
  if (protocol !== 2 && protocol !== 3 && protocol !== 4) {
    throw new RangeError(`PickleEncodeOptions.protocol must be 2, 3 or 4, got ${String(protocol)}`);
  }
  const maxDepth = options?.maxDepth ?? PICKLE_ENCODE_DEFAULTS.maxDepth;
  const headroom = options?.headroom ?? 0;
  if (!Number.isSafeInteger(headroom) || headroom < 0 || headroom > MAX_HEADROOM) {
    throw new RangeError(`PickleEncodeOptions.headroom must be an integer from 0 to ${MAX_HEADROOM}, got ${String(headroom)}`);
  }
  // The encoder recurses once per level: the bound keeps it far from the call-stack limit.
  if (!Number.isSafeInteger(maxDepth) || maxDepth < 1 || maxDepth > MAX_DEPTH_LIMIT) {
    throw new RangeError(`PickleEncodeOptions.maxDepth must be an integer from 1 to ${MAX_DEPTH_LIMIT}, got ${String(maxDepth)}`);
  }
  // Encoding is synchronous, so one buffer serves every call; a getter that encodes while
  // an encode runs gets a buffer of its own.
  const reuse = !writerBusy;
  const e: Encoder = { w: reuse ? sharedWriter : new PickleWriter(), protocol, maxDepth, nativeStr: protocol === 2 && options?.asciiAsNativeStr === true };
  writerBusy = true;
  try {
    e.w.reset(headroom);
    e.w.byte(op.PROTO);
    e.w.byte(protocol);
    save(e, value, 0);
    e.w.byte(op.STOP);
    return e.w.result();
  } finally {
    if (reuse) {
      sharedWriter.release();
      writerBusy = false;
    }
  }
}

const sharedWriter = new PickleWriter();
let writerBusy = false;

function save(e: Encoder, value: unknown, depth: number): void {
  switch (typeof value) {
    case "undefined": e.w.byte(op.NONE); return;
    case "boolean": e.w.byte(value ? op.NEWTRUE : op.NEWFALSE); return;
    case "number":
      if (Number.isSafeInteger(value) && !Object.is(value, -0)) saveInt(e, value);
      else saveFloat(e, value);
      return;
    case "bigint": saveInt(e, value); return;
    case "string": if (e.nativeStr) saveNativeStr(e, value); else saveStr(e, value); return;
    case "object": break;
    default: throw invalid(`a ${typeof value} has no Python form`);
  }
  if (value === null) {
    e.w.byte(op.NONE);
    return;
  }
  if (depth >= e.maxDepth) throw invalid(`it nests deeper than maxDepth ${e.maxDepth} (or is cyclic)`);
  // Plain lists and dicts first: most of what a manager reply carries, with no class to look for.
  if (Array.isArray(value)) {
    const mark = pythonTypeOf(value);
    const deque = mark === undefined || mark === "tuple" ? undefined : pythonGlobal(value, e.protocol);
    if (deque !== undefined) saveGlobalCall(e, deque, depth + 1);
    else (mark === "tuple" ? saveTuple : saveList)(e, value, depth + 1);
    return;
  }
  if (isPlainObject(value)) return saveDict(e, Object.entries(value), depth + 1);
  const call = value instanceof PickleGlobal ? value : pythonGlobal(value, e.protocol);
  if (call !== undefined) saveGlobalCall(e, call, depth + 1);
  else if (value instanceof Uint8Array) (pythonTypeOf(value) === "bytearray" ? saveByteArray : saveBytes)(e, value);
  else if (value instanceof PickleTuple) saveTuple(e, value.items, depth + 1);
  else if (value instanceof PickleNativeStr) saveNativeStr(e, value.text);
  else if (value instanceof PickleGlobalRef) saveGlobalRef(e, value);
  else if (value instanceof Map) saveDict(e, [...value], depth + 1);
  else if (value instanceof Set) (pythonTypeOf(value) === "frozenset" ? saveFrozenSet : saveSet)(e, [...value], depth + 1);
  else throw invalid(`an instance of ${value.constructor?.name ?? "a class"} has no Python form (use a plain object or PickleGlobal)`);
}

function isPlainObject(value: object): value is Record<string, unknown> {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function saveInt(e: Encoder, value: number | bigint): void {
  const w = e.w;
  if (typeof value === "bigint") {
    if (value < -0x80000000n || value > 0x7fffffffn) return saveLong(e, value);
    value = Number(value);
  }
  if (value >= 0 && value <= 0xff) {
    w.byte(op.BININT1);
    w.byte(value);
  } else if (value >= 0 && value <= 0xffff) {
    w.byte(op.BININT2);
    w.u16(value);
  } else if (value >= -0x80000000 && value <= 0x7fffffff) {
    w.byte(op.BININT);
    w.i32(value);
  } else {
    saveLong(e, BigInt(value));
  }
}

/** LONG1 or LONG4: the shortest little-endian two's complement, as CPython's encode_long. */
function saveLong(e: Encoder, value: bigint): void {
  // A negative x is stored as the bitwise complement of -x - 1, which is non-negative.
  const negative = value < 0n;
  let hex = (negative ? -value - 1n : value).toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  const n = hex.length / 2;
  const signByte = parseInt(hex.slice(0, 2), 16) >= 0x80 ? 1 : 0;
  const bytes = new Uint8Array(n + signByte);
  for (let i = 0; i < n; i++) {
    const b = parseInt(hex.slice(hex.length - 2 * (i + 1), hex.length - 2 * i), 16);
    bytes[i] = negative ? ~b & 0xff : b;
  }
  if (signByte && negative) bytes[n] = 0xff;
  sized(e, op.LONG1, op.LONG4, bytes.length);
  e.w.bytes(bytes);
}

/** An opcode and its length: the one-byte-length form below 256, else the four-byte form. */
function sized(e: Encoder, short: number, long: number, n: number): void {
  if (n < 256) {
    e.w.byte(short);
    e.w.byte(n);
  } else {
    e.w.byte(long);
    e.w.u32(n);
  }
}

function saveFloat(e: Encoder, value: number): void {
  e.w.byte(op.BINFLOAT);
  e.w.f64be(value);
}

function saveStr(e: Encoder, value: string): void {
  // A JavaScript string is under 2^30 UTF-16 units, so under 4 GiB of UTF-8: BINUNICODE8
  // (protocol 4, for longer str) is never needed.
  const signed = utf8Length(value);
  const n = Math.abs(signed);
  if (e.protocol >= 4 && n < 256) {
    e.w.byte(op.SHORT_BINUNICODE);
    e.w.byte(n);
  } else {
    e.w.byte(op.BINUNICODE);
    e.w.u32(n);
  }
  e.w.utf8(value, signed);
}

function saveNativeStr(e: Encoder, text: string): void {
  if (e.protocol > 2 || !/^[\x00-\x7f]*$/.test(text)) return saveStr(e, text);
  sized(e, op.SHORT_BINSTRING, op.BINSTRING, text.length);
  e.w.utf8(text, text.length);
}

function saveBytes(e: Encoder, value: Uint8Array): void {
  const w = e.w;
  if (e.protocol >= 3) {
    if (value.length < 256) {
      w.byte(op.SHORT_BINBYTES);
      w.byte(value.length);
    } else if (value.length <= 0xffffffff) {
      w.byte(op.BINBYTES);
      w.u32(value.length);
    } else if (e.protocol >= 4) {
      w.byte(op.BINBYTES8);
      w.u64(value.length);
    } else {
      throw invalid("bytes over 4 GiB need protocol 4");
    }
    w.bytes(value);
    return;
  }
  // Protocol 2 has no bytes opcode; CPython writes bytes() or _codecs.encode(text, "latin1"),
  // which Python 2.7 reads as a str.
  if (value.length === 0) {
    saveGlobal(e, "builtins", "bytes");
    w.byte(op.EMPTY_TUPLE);
  } else {
    saveGlobal(e, "_codecs", "encode");
    const n = latin1Utf8Length(value);
    w.byte(op.BINUNICODE);
    w.u32(n);
    w.latin1AsUtf8(value, n);
    saveStr(e, "latin1");
    w.byte(op.TUPLE2);
  }
  w.byte(op.REDUCE);
}

/** bytearray(bytes) as CPython writes it below protocol 5; bytearray(str, "latin-1") for Python 2. */
function saveByteArray(e: Encoder, value: Uint8Array): void {
  saveGlobal(e, "builtins", "bytearray");
  if (value.length === 0) {
    e.w.byte(op.EMPTY_TUPLE);
  } else if (e.protocol >= 3) {
    saveBytes(e, value);
    e.w.byte(op.TUPLE1);
  } else {
    const n = latin1Utf8Length(value);
    e.w.byte(op.BINUNICODE);
    e.w.u32(n);
    e.w.latin1AsUtf8(value, n);
    saveStr(e, "latin-1");
    e.w.byte(op.TUPLE2);
  }
  e.w.byte(op.REDUCE);
}

/** `name([items])` by REDUCE: how CPython spells a set or frozenset before protocol 4. */
function saveCallOnList(e: Encoder, name: "set" | "frozenset", items: readonly unknown[], depth: number): void {
  saveGlobal(e, "builtins", name);
  saveList(e, items, depth + 1);
  e.w.byte(op.TUPLE1);
  e.w.byte(op.REDUCE);
}

/** FROZENSET from protocol 4; frozenset([items]) before, as CPython does. */
function saveFrozenSet(e: Encoder, items: readonly unknown[], depth: number): void {
  for (const item of items) checkHashable(item, "a frozenset element", e.maxDepth);
  if (e.protocol < 4) return saveCallOnList(e, "frozenset", items, depth);
  e.w.byte(op.MARK);
  for (const item of items) save(e, item, depth);
  e.w.byte(op.FROZENSET);
}

function saveTuple(e: Encoder, items: readonly unknown[], depth: number): void {
  const w = e.w;
  if (items.length === 0) {
    w.byte(op.EMPTY_TUPLE);
    return;
  }
  if (items.length > 3) w.byte(op.MARK);
  for (const item of items) save(e, item, depth);
  w.byte(items.length > 3 ? op.TUPLE : op.TUPLE1 + items.length - 1);
}

function saveList(e: Encoder, items: readonly unknown[], depth: number): void {
  e.w.byte(op.EMPTY_LIST);
  for (let from = 0; from < items.length; from += BATCH) {
    const to = Math.min(from + BATCH, items.length);
    if (to - from > 1) e.w.byte(op.MARK);
    for (let i = from; i < to; i++) save(e, items[i], depth);
    e.w.byte(to - from > 1 ? op.APPENDS : op.APPEND);
  }
}

function saveDict(e: Encoder, entries: ReadonlyArray<readonly [unknown, unknown]>, depth: number): void {
  e.w.byte(op.EMPTY_DICT);
  for (let from = 0; from < entries.length; from += BATCH) {
    const to = Math.min(from + BATCH, entries.length);
    if (to - from > 1) e.w.byte(op.MARK);
    for (let i = from; i < to; i++) {
      const [key, value] = entries[i];
      checkHashable(key, "a dict key", e.maxDepth);
      save(e, key, depth);
      save(e, value, depth);
    }
    e.w.byte(to - from > 1 ? op.SETITEMS : op.SETITEM);
  }
}

function saveSet(e: Encoder, items: readonly unknown[], depth: number): void {
  for (const item of items) checkHashable(item, "a set element", e.maxDepth);
  if (e.protocol < 4) return saveCallOnList(e, "set", items, depth);
  e.w.byte(op.EMPTY_SET);
  for (let from = 0; from < items.length; from += BATCH) {
    const to = Math.min(from + BATCH, items.length);
    e.w.byte(op.MARK);
    for (let i = from; i < to; i++) save(e, items[i], depth);
    e.w.byte(op.ADDITEMS);
  }
}

/** Refuses what Python cannot hash (list, dict, set), which its unpickler would reject. */
function checkHashable(value: unknown, what: string, maxDepth: number, depth = 0): void {
  if (typeof value !== "object" || value === null) return;
  const items = value instanceof PickleTuple ? value.items : isTuple(value) || pythonTypeOf(value) === "frozenset" ? [...(value as Iterable<unknown>)] : undefined;
  if (items !== undefined) {
    if (depth >= maxDepth) throw invalid(`it nests deeper than maxDepth ${maxDepth} (or is cyclic)`);
    for (const item of items) checkHashable(item, what, maxDepth, depth + 1);
    return;
  }
  if (value instanceof Uint8Array && pythonTypeOf(value) !== "bytearray") return;
  if (value instanceof PickleGlobal || value instanceof PickleNativeStr || isHashableClass(value)) return;
  const kind = value instanceof Uint8Array ? "a bytearray" : Array.isArray(value) ? "an array (a list)" : value instanceof Set ? "a Set" : "an object or Map (a dict)";
  throw invalid(`${what} must be hashable in Python, not ${kind}; use tuple() for a tuple`);
}

function saveGlobalCall(e: Encoder, value: PickleGlobal, depth: number): void {
  saveGlobal(e, value.module, value.name);
  saveTuple(e, value.args, depth);
  e.w.byte(value.newobj ? op.NEWOBJ : op.REDUCE);
  if (value.state !== undefined) {
    save(e, value.state, depth);
    e.w.byte(op.BUILD);
  }
}

/** A global named, not called: a proxy class in RebuildProxy's arguments. */
function saveGlobalRef(e: Encoder, value: PickleGlobalRef): void {
  const dot = value.name.lastIndexOf(".");
  saveGlobal(e, value.name.slice(0, dot), value.name.slice(dot + 1));
}

/** Python 3 modules under their Python 2 names; Python 3 maps them back when it reads protocol 2. */
const PYTHON2_MODULES: ReadonlyMap<string, string> = new Map([["builtins", "__builtin__"], ["queue", "Queue"]]);

/** A reference to `module`.`name`: STACK_GLOBAL from protocol 4, the GLOBAL text line before. */
function saveGlobal(e: Encoder, module: string, name: string): void {
  if (e.protocol >= 4) {
    saveStr(e, module);
    saveStr(e, name);
    e.w.byte(op.STACK_GLOBAL);
    return;
  }
  // CPython's fix_imports: Python 2 calls the builtins module __builtin__, and queue Queue.
  const written = e.protocol === 2 ? (PYTHON2_MODULES.get(module) ?? module) : module;
  const line = `${written}\n${name}\n`;
  if (/[\n\0]/.test(`${written}${name}`) || (e.protocol === 2 && /[^\x20-\x7e]/.test(line.replace(/\n/g, "")))) {
    throw invalid(`global ${module}.${name} cannot be written at protocol ${e.protocol}`);
  }
  e.w.byte(op.GLOBAL);
  e.w.utf8(line, utf8Length(line));
}
