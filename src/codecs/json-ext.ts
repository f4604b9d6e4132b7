/**
 * JSON as a farcall codec, in two modes. Plain mode speaks standard JSON (RFC 8259) to
 * outside clients; extended mode, used only when both ends are farcall, carries the values
 * JSON has no form for (DESIGN.md, "Extended values") as tagged objects. Every document is
 * checked for nesting depth before JSON.parse sees it.
 *
 * Plain mode, values JSON cannot carry exactly (what an outside client receives):
 *
 *   value                        JSON
 *   ---------------------------  ------------------------------------------------------------
 *   Date                         ISO 8601 string ("2023-11-14T22:13:20.123Z"); an invalid Date: null;
 *                                a Python date or datetime (marked): Python's isoformat() text
 *                                ("2024-02-29", "2024-02-29T23:59:58.123456+05:30", naive: no offset)
 *   Python-marked array, Map...  the value alone (a tuple as an array, an OrderedDict as a Map)
 *   BigInt                       a number when it is a safe integer, else its decimal string
 *   Uint8Array, Buffer, DataView base64 string (standard alphabet, padded)
 *   other typed arrays           array of their elements (BigInt64Array elements as BigInt above)
 *   ArrayBuffer                  base64 string of its bytes
 *   Map                          object when every key is a string, else array of [key, value] pairs
 *   Set                          array of its values
 *   Error                        {"name", "message"}, plus "code" and "data" for an RpcError
 *   undefined, function, symbol  null in arrays and at the top level, member omitted in objects
 *   NaN, Infinity, -Infinity     INVALID_PARAMS naming where it sits (JSON has none); -0 is 0
 *   object with toJSON()         what toJSON() returns, as JSON.stringify does
 *
 * Plain-mode decoding is JSON.parse after the depth check, with these consequences:
 * integers beyond 2^53 arrive as the nearest double, a number literal beyond the double range
 * (`1e400`, a million digits) is PARSE_ERROR naming where it sits (json-numbers.ts), and the
 * non-standard tokens `NaN` and `Infinity` that
 * Python's json.dumps writes by default (allow_nan=True) are refused with PARSE_ERROR, as
 * RFC 8259 and every strict parser refuse them. A byte-order mark is skipped; invalid UTF-8
 * is PARSE_ERROR.
 *
 * Extended mode, the tagged form (copied into the README). A tag is a JSON object with
 * exactly one member whose name starts with "$farcall:"; nothing else is ever a tag:
 *
 *   {"$farcall:undefined": null}                 undefined (also a function or symbol)
 *   {"$farcall:number": "NaN"}                   NaN; likewise "Infinity", "-Infinity", "-0"
 *   {"$farcall:bigint": "-12345678901234567890"} BigInt, decimal, at most 1024 characters
 *   {"$farcall:date": "2023-11-14T22:13:20.123Z"} Date (ISO 8601); null for an invalid Date
 *   {"$farcall:bytes": "AAH/"}                   Uint8Array (also DataView, ArrayBuffer), base64
 *   {"$farcall:buffer": "AAH/"}                  Buffer (a Uint8Array where Buffer does not exist)
 *   {"$farcall:map": [[key, value], ...]}        Map, entries in order, keys of any type
 *   {"$farcall:set": [value, ...]}               Set, values in order
 *   {"$farcall:error": {"name", "message", "code"?, "data"?}}
 *                                                Error: class rebuilt by name (RpcError keeps
 *                                                code and data), never a stack
 *   {"$farcall:type": [name, data]}              an instance of a class given to registerType()
 *                                                (plain mode: the encoded data alone)
 *   {"$farcall:python": [name, value, ...]}      an array, Map, Set, Uint8Array or Date with a
 *                                                Python type mark (a tuple, an OrderedDict...;
 *                                                codecs/python-mark.ts); plain mode: the value alone
 *   {"$farcall:escaped": {"$farcall:x": value}}  a user object whose only member starts with
 *                                                "$farcall:", taken literally (its values are
 *                                                still decoded)
 *
 * Tag payloads nest like any value: a Map key may be a Date tag. An unknown "$farcall:" tag
 * is PARSE_ERROR, never silently a user object. Other values are encoded as in plain mode.
 * Tags cost JSON nesting levels (a Map's entries sit three levels below it), and maxDepth
 * counts JSON levels, so the encoder refuses what the decoder would.
 */
import type { Codec } from "../core/codec.js";
import { RpcError } from "../core/errors.js";
import { revive } from "./json-revive.js";
import { HAS_BUFFER, setOwn, T_BIGINT, T_BUFFER, T_BYTES, T_DATE, T_ERROR, T_ESCAPED, T_MAP, T_NUMBER, T_PYTHON, T_SET, T_TYPE, TAG_PREFIX, toBase64, UNDEFINED_TAG } from "./json-tags.js";
import { PYTHON_MARKS, pythonTypeOf, type PythonTypeMark } from "../core/python-types.js";
import { isoformatOf, markToWire } from "./python-mark.js";
import { registeredTypeOf } from "../core/type-registry.js";
import { errorToWire } from "./wire-error.js";
import { checkParsedNumbers } from "./json-numbers.js";

export { MAX_BIGINT_CHARS, TAG_PREFIX } from "./json-tags.js";

/** Options of {@link createJsonCodec}. */
export interface JsonCodecOptions {
  /** Both ends are farcall: extended values travel in the tagged form. */
  extended: boolean;
  /**
   * Deepest JSON nesting (arrays and objects, tags included) accepted and produced, at most
   * {@link MAX_JSON_DEPTH}.
   * @default 64
   */
  maxDepth?: number;
}

/** Defaults for {@link createJsonCodec}. */
export const JSON_CODEC_DEFAULTS: Readonly<{ maxDepth: number }> = Object.freeze({ maxDepth: 64 });

/**
 * Highest maxDepth allowed: encoding and reviving recurse once per level, and the call stack
 * (as JSON.stringify's own) runs out a few thousand levels down.
 */
export const MAX_JSON_DEPTH = 1000;

const utf8Encoder = new TextEncoder();
// fatal: invalid UTF-8 is an error, never silently U+FFFD.
const utf8Decoder = new TextDecoder("utf-8", { fatal: true });

/** The JSON codec in plain or extended mode, with maxDepth checked on every decode. */
export function createJsonCodec(options: JsonCodecOptions): Codec {
  const extended = options.extended;
  if (typeof extended !== "boolean") throw new TypeError(`extended must be a boolean, got ${String(extended)}`);
  const maxDepth = options.maxDepth ?? JSON_CODEC_DEFAULTS.maxDepth;
  if (!Number.isInteger(maxDepth) || maxDepth < 1 || maxDepth > MAX_JSON_DEPTH) {
    throw new RangeError(`maxDepth must be an integer from 1 to ${MAX_JSON_DEPTH}, got ${maxDepth}`);
  }
  return {
    name: extended ? "json-ext" : "json",
    syntax: "json",
    encode(value: unknown): Uint8Array {
      let text: string | undefined;
      try {
        text = JSON.stringify(lower(value, 0, extended, maxDepth));
      } catch (err) {
        if (err === NON_FINITE) throw nonFiniteError(value);
        if (RpcError.is(err)) throw err;
        throw new RpcError("INVALID_PARAMS", `value cannot be encoded as JSON: ${(err as Error).message}`);
      }
      // JSON.stringify answers undefined for a top-level undefined, function or symbol.
      return utf8Encoder.encode(text ?? "null");
    },
    decode(bytes: Uint8Array, start = 0, end = bytes.length): unknown {
      // A document of at most maxDepth bytes cannot open more than maxDepth levels.
      if (end - start > maxDepth) checkDepth(bytes, start, end, maxDepth);
      let text: string;
      try {
        text = utf8Decoder.decode(start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end));
      } catch {
        throw new RpcError("PARSE_ERROR", "JSON document is not valid UTF-8");
      }
      let doc: unknown;
      try {
        doc = JSON.parse(text);
      } catch (err) {
        throw new RpcError("PARSE_ERROR", `invalid JSON: ${(err as Error).message}`);
      }
      checkParsedNumbers(text, doc);
      if (!extended) return doc;
      try {
        return revive(doc);
      } catch (err) {
        // Only a call stack that was nearly full already overflows within MAX_JSON_DEPTH levels.
        throw RpcError.is(err) ? err : new RpcError("RESOURCE_EXHAUSTED", `JSON too deep to decode here: ${(err as Error).message}`);
      }
    },
  };
}

// ---- depth check -------------------------------------------------------------------------

/**
 * Throws RESOURCE_EXHAUSTED when the JSON text opens more than maxDepth levels. Brackets
 * inside strings do not count; a string ends at a quote preceded by an even number of
 * backslashes. Only ASCII bytes matter, and UTF-8 never uses them inside a multi-byte
 * character, so the bytes are scanned before any string is made. Unbalanced text is left for
 * JSON.parse to refuse: it stops at the first byte that breaks the grammar, before nesting
 * deeper than this count.
 */
function checkDepth(b: Uint8Array, start: number, end: number, maxDepth: number): void {
  let depth = 0;
  for (let i = start; i < end; i++) {
    const c = b[i];
    if (c === 0x22 /* " */) {
      let close = b.indexOf(0x22, i + 1);
      while (close !== -1 && close < end && isEscaped(b, i + 1, close)) close = b.indexOf(0x22, close + 1);
      if (close === -1 || close >= end) return; // unterminated string: JSON.parse refuses it
      i = close;
    } else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > maxDepth) {
        throw new RpcError("RESOURCE_EXHAUSTED", `JSON nests deeper than maxDepth ${maxDepth} (level ${depth} opens at byte ${i - start})`);
      }
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
      depth--;
    }
  }
}

/** True when the quote at `pos` follows an odd run of backslashes (not before `from`). */
function isEscaped(b: Uint8Array, from: number, pos: number): boolean {
  let n = 0;
  for (let i = pos - 1; i >= from && b[i] === 0x5c; i--) n++;
  return (n & 1) === 1;
}

// ---- encoding ------------------------------------------------------------------------------

/** Thrown inside the walk; the encoder then names where the number sits (a second walk, on failure only). */
const NON_FINITE = Symbol("non-finite number");

function nonFiniteError(value: unknown): RpcError {
  const at = nonFinitePath(value, "value", 0);
  return new RpcError("INVALID_PARAMS", `${at ?? "a number"} cannot be carried in plain JSON, which has no NaN or Infinity (send it as a string, or use a farcall client, whose extended codec carries it)`);
}

/** Where the first NaN or Infinity in `v` sits ("value.result[2].x"), looking as lower() does. */
function nonFinitePath(v: unknown, path: string, depth: number): string | undefined {
  if (typeof v === "number") return v !== v || v === Infinity || v === -Infinity ? `${path} (${v})` : undefined;
  if (typeof v !== "object" || v === null || depth > MAX_JSON_DEPTH) return undefined;
  if (Array.isArray(v) || v instanceof Set) {
    let i = 0;
    for (const item of v) {
      const found = nonFinitePath(item, `${path}[${i++}]`, depth + 1);
      if (found) return found;
    }
    return undefined;
  }
  const entries = v instanceof Map ? [...v.entries()] : ArrayBuffer.isView(v) ? [] : Object.entries(v);
  for (const [key, item] of entries) {
    const found = nonFinitePath(item, `${path}.${String(key)}`, depth + 1);
    if (found) return found;
  }
  return undefined;
}

function tooDeep(maxDepth: number): RpcError {
  return new RpcError("INVALID_PARAMS", `value nests deeper than maxDepth ${maxDepth} JSON levels (or is cyclic)`);
}


/**
 * `v` in a form JSON.stringify writes as specified above. Containers are copied only on the
 * path to a value that changes, so plain data costs one read-only walk. `depth` counts the
 * JSON levels enclosing `v`; a container `v` opens level depth + 1.
 */
function lower(v: unknown, depth: number, ext: boolean, max: number): unknown {
  switch (typeof v) {
    case "string":
    case "boolean":
      return v;
    case "number":
      if (!ext) {
        // RFC 8259 has no NaN or Infinity, and JSON.stringify would write null: refuse instead.
        if (v !== v || v === Infinity || v === -Infinity) throw NON_FINITE;
        return v;
      }
      if (v === v && v !== Infinity && v !== -Infinity && (v !== 0 || 1 / v > 0)) return v;
      return tag(T_NUMBER, v !== v ? "NaN" : v === 0 ? "-0" : String(v), depth, max);
    case "bigint":
      if (ext) return tag(T_BIGINT, v.toString(), depth, max);
      return v >= -Number.MAX_SAFE_INTEGER && v <= Number.MAX_SAFE_INTEGER ? Number(v) : v.toString();
    case "undefined":
    case "function":
    case "symbol":
      if (!ext) return v; // JSON.stringify omits or nulls these itself
      if (depth + 1 > max) throw tooDeep(max);
      return UNDEFINED_TAG;
    default:
      return v === null ? null : lowerObject(v as object, depth, ext, max);
  }
}

function tag(name: string, payload: unknown, depth: number, max: number): Record<string, unknown> {
  if (depth + 1 > max) throw tooDeep(max);
  return { [name]: payload };
}

/**
 * A value with a Python type mark, extended mode: the tag, its [name, value, ...details]
 * array, and the value lowered two levels further down (details nest one level at most).
 */
function lowerMarked(v: object, mark: PythonTypeMark, depth: number, max: number): unknown {
  if (depth + (typeof mark === "object" && mark.kind === "datetime" && mark.utcOffset !== null ? 3 : 2) > max) throw tooDeep(max);
  return { [T_PYTHON]: markToWire(v, mark, lowerObject(v, depth + 2, true, max, true)) };
}

/** `unmarked`: `v`'s Python type mark, if any, is already written. */
function lowerObject(v: object, depth: number, ext: boolean, max: number, unmarked = false): unknown {
  if (ext && !unmarked && PYTHON_MARKS.made) {
    const mark = pythonTypeOf(v);
    if (mark !== undefined) return lowerMarked(v, mark, depth, max);
  }
  if (ArrayBuffer.isView(v) && !(v instanceof Uint8Array) && !(v instanceof DataView)) {
    return lowerArray(Array.from(v as unknown as ArrayLike<unknown>), depth, ext, max);
  }
  if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) {
    const bytes = v instanceof ArrayBuffer ? new Uint8Array(v) : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
    const base64 = toBase64(bytes);
    return ext ? tag(HAS_BUFFER && Buffer.isBuffer(v) ? T_BUFFER : T_BYTES, base64, depth, max) : base64;
  }
  if (v instanceof Date) {
    // Date.prototype.toJSON: ISO string, or null when invalid; a Python date or datetime as Python writes it.
    if (!ext) return (PYTHON_MARKS.made && isoformatOf(v, pythonTypeOf(v))) || v;
    return tag(T_DATE, Number.isNaN(v.getTime()) ? null : v.toISOString(), depth, max);
  }
  if (Array.isArray(v)) return lowerArray(v, depth, ext, max);
  if (v instanceof Map) return lowerMap(v, depth, ext, max);
  if (v instanceof Set) {
    if (!ext) return lowerArray([...v], depth, ext, max);
    return { [T_SET]: lowerArray([...v], depth + 1, ext, max) };
  }
  if (v instanceof Error) {
    const out = errorToWire(v) as Record<string, unknown>;
    return ext ? { [T_ERROR]: lowerMembers(out, depth + 1, ext, max) } : lowerMembers(out, depth, ext, max);
  }
  const registered = Object.getPrototypeOf(v) === Object.prototype ? undefined : registeredTypeOf(v);
  if (registered) {
    const data = (registered.encode as (x: unknown) => unknown)(v);
    // Plain JSON carries the encoded data; extended JSON also names the type.
    return ext ? { [T_TYPE]: lowerArray([registered.name, data], depth + 1, ext, max) } : lower(data, depth, ext, max);
  }
  const toJSON = (v as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === "function") {
    const replaced: unknown = toJSON.call(v, "");
    if (replaced !== v) return lower(replaced, depth, ext, max);
  }
  if (ext && hasOnlyTagLikeKey(v)) return { [T_ESCAPED]: lowerMembers({ ...v }, depth + 1, ext, max) };
  return lowerMembers(v as Record<string, unknown>, depth, ext, max);
}

/** True when `v` has exactly one own enumerable key and it starts with the tag prefix. */
function hasOnlyTagLikeKey(v: object): boolean {
  let only: string | undefined;
  let n = 0;
  for (const k in v) {
    if (!Object.prototype.hasOwnProperty.call(v, k)) continue;
    if (++n > 1) return false;
    only = k;
  }
  return n === 1 && only!.startsWith(TAG_PREFIX);
}

/** The array's elements lowered; the same array when none changed. */
function lowerArray(a: unknown[], depth: number, ext: boolean, max: number): unknown[] {
  if (depth + 1 > max) throw tooDeep(max);
  let copy: unknown[] | undefined;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = lower(x, depth + 1, ext, max);
    if (y !== x) {
      copy ??= a.slice();
      copy[i] = y;
    }
  }
  return copy ?? a;
}

/** The object's own enumerable members lowered; the same object when none changed. */
function lowerMembers(o: Record<string, unknown>, depth: number, ext: boolean, max: number): Record<string, unknown> {
  if (depth + 1 > max) throw tooDeep(max);
  let copy: Record<string, unknown> | undefined;
  for (const k in o) {
    if (!Object.prototype.hasOwnProperty.call(o, k)) continue;
    const x = o[k];
    const y = lower(x, depth + 1, ext, max);
    if (y !== x) {
      copy ??= { ...o };
      setOwn(copy, k, y);
    }
  }
  return copy ?? o;
}

function lowerMap(m: Map<unknown, unknown>, depth: number, ext: boolean, max: number): unknown {
  if (depth + (ext ? 2 : 1) > max) throw tooDeep(max);
  if (!ext) {
    let stringKeys = true;
    for (const k of m.keys()) if (typeof k !== "string") stringKeys = false;
    if (stringKeys) {
      const out: Record<string, unknown> = {};
      for (const [k, x] of m) setOwn(out, k as string, lower(x, depth + 1, ext, max));
      return out;
    }
  }
  // Pairs sit one level below the array (plain) or two below the tag object (extended).
  const pairDepth = ext ? depth + 2 : depth + 1;
  if (m.size > 0 && pairDepth + 1 > max) throw tooDeep(max);
  const pairs: unknown[][] = [];
  for (const [k, x] of m) pairs.push([lower(k, pairDepth + 1, ext, max), lower(x, pairDepth + 1, ext, max)]);
  return ext ? { [T_MAP]: pairs } : pairs;
}
