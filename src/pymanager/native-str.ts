/**
 * Python 2.7's native `str` where Python tells it from `unicode`: a `u` array takes only
 * `unicode` items, and reads a native `str` initializer as raw bytes. A request's values are
 * decoded with both as text (what every other use wants), so these two places look at the
 * request again, decoded with native strs as bytes.
 */
import { RpcError } from "../core/errors.js";
import { isTextTypecode, itemsOfNativeStr } from "./array-value.js";
import type { SharedArray } from "./shared/array.js";

/** A connection that can decode its current request again, native strs as bytes. */
export interface NativeStrSource {
  readonly replyProtocol?: 2 | 3 | 4;
  /** The current request's arguments with 2.7's native strs as Uint8Array; undefined when not at hand. */
  nativeStrArgs?(): unknown[] | undefined;
}

/**
 * `create('Array', typecode, sequence)`'s arguments (typeid first) as Python 2.7's server
 * reads them: a native str sequence becomes the items its bytes hold.
 */
export function arrayArgsOf(conn: NativeStrSource, args: unknown[]): unknown[] {
  if (conn.replyProtocol !== 2 || args[0] !== "Array" || args.length < 3) return args;
  if (typeof args[2] !== "string" && !(args[2] instanceof Uint8Array)) return args;
  const raw = conn.nativeStrArgs?.();
  const bytes = raw?.[2];
  if (!(bytes instanceof Uint8Array) || typeof args[1] !== "string") return args;
  return [args[0], args[1], itemsOfNativeStr(args[1], bytes), ...args.slice(3)];
}

/** Refuses a 2.7 native str stored as an item of a `u` array, as 2.7's array does. */
export function checkArrayItem(conn: NativeStrSource, array: SharedArray, method: string, args: unknown[]): void {
  if (conn.replyProtocol !== 2 || method !== "__setitem__" || !isTextTypecode(array.typecode) || typeof args[1] !== "string") return;
  if (conn.nativeStrArgs?.()?.[1] instanceof Uint8Array) throw new RpcError("TypeError", "array item must be unicode character");
}
