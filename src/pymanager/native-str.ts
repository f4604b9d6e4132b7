/**
 * Python 2.7's native `str` where Python tells it from `unicode`: a `u` array takes only
 * `unicode` items and reads a native `str` initializer as raw bytes, and a `c` array takes
 * only native `str` items of one byte. A request's values are decoded with both as text (what
 * every other use wants), so these places look at the request again, decoded with native
 * strs as bytes.
 */
import { RpcError } from "../core/errors.js";
import { bytesAsByteChars, isTextTypecode, itemsOfNativeStr } from "./array-value.js";
import { pythonTypeOf } from "./pickle/python-types.js";
import type { SharedArray } from "./shared/array.js";

/** A connection that can decode its current request again, native strs as bytes. */
export interface NativeStrSource {
  readonly replyProtocol?: 2 | 3 | 4;
  /** The current request's arguments with 2.7's native strs as Uint8Array; undefined when not at hand. */
  nativeStrArgs?(): unknown[] | undefined;
}

/** True for a 2.7 native str as `nativeStrArgs` gives it (a bytearray is bytes too, but marked). */
function isNativeStr(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array && pythonTypeOf(value) !== "bytearray";
}

function notChar(): RpcError {
  return new RpcError("TypeError", "array item must be char");
}

/** The one-byte character a `c` array stores for `raw`, a request value with native strs as bytes. */
function byteChar(raw: unknown): string {
  if (!isNativeStr(raw) || raw.length !== 1) throw notChar();
  return String.fromCharCode(raw[0]!);
}

/**
 * `create('Array', typecode, sequence)`'s arguments (typeid first) as Python 2.7's server
 * reads them: a native str sequence becomes the items its bytes hold; a `c` array's items
 * must each be a one-byte native str (a `unicode`, even ASCII, is refused as 2.7 refuses it).
 */
export function arrayArgsOf(conn: NativeStrSource, args: unknown[]): unknown[] {
  if (conn.replyProtocol !== 2 || args[0] !== "Array" || args.length < 3 || typeof args[1] !== "string") return args;
  if (args[1] === "c") {
    const raw = conn.nativeStrArgs?.()?.[2];
    if (isNativeStr(raw)) return [args[0], "c", bytesAsByteChars(raw), ...args.slice(3)];
    if (Array.isArray(raw)) return [args[0], "c", raw.map(byteChar), ...args.slice(3)];
    if (typeof raw === "string") throw notChar();
    return args;
  }
  if (typeof args[2] !== "string" && !(args[2] instanceof Uint8Array)) return args;
  const bytes = conn.nativeStrArgs?.()?.[2];
  // A unicode initializer is iterated: its characters are no numbers.
  if (typeof bytes === "string" && !isTextTypecode(args[1])) throw new RpcError("TypeError", args[1] === "f" || args[1] === "d" ? "a float is required" : "an integer is required");
  if (!(bytes instanceof Uint8Array)) return args;
  return [args[0], args[1], itemsOfNativeStr(args[1], bytes), ...args.slice(3)];
}

/**
 * The arguments of a call on a shared Array as 2.7 means them: a native str stored as a `u`
 * item is refused, as 2.7's array does; a `c` item must be a one-byte native str, stored as
 * its byte.
 */
export function arrayItemArgs(conn: NativeStrSource, array: SharedArray, method: string, args: unknown[]): unknown[] {
  if (method !== "__setitem__" || typeof args[0] !== "number") return args;
  if (array.typecode === "c") {
    if (conn.replyProtocol === 2) return [args[0], byteChar(conn.nativeStrArgs?.()?.[1])];
    return isNativeStr(args[1]) ? [args[0], byteChar(args[1])] : args;
  }
  if (conn.replyProtocol !== 2 || !isTextTypecode(array.typecode) || typeof args[1] !== "string") return args;
  if (conn.nativeStrArgs?.()?.[1] instanceof Uint8Array) throw new RpcError("TypeError", "array item must be unicode character");
  return args;
}
