/**
 * How the demo's JetStream store writes a value (a key's, a queue item's) so that it reads
 * back with its types: one holding Python's own types (a tuple, frozenset, bytearray, date,
 * a datetime's microseconds and offset, a timedelta), which only a pickle keeps, as a
 * pickle after the byte 0xc1; any other as msgpack, which keeps JavaScript's (a bigint stays
 * a bigint, a Map a Map). msgpack never uses 0xc1, so values written before (all msgpack)
 * read as they did.
 */
import { createMsgpackCodec } from "../codecs/msgpack.js";
import { RpcError } from "../core/errors.js";
import { decodePickle, encodePickle, PickleGlobal } from "../pymanager/pickle/pickle.js";
import { FixedOffset, pythonTypeOf, Timedelta } from "../pymanager/pickle/python-types.js";

const PICKLED = 0xc1;
const MAX_DEPTH = 64;
const codec = createMsgpackCodec({ maxDepth: MAX_DEPTH });

/** True when `value` holds a Python type JavaScript has none of its own for. */
function pythonShaped(value: unknown, depth: number): boolean {
  if (typeof value !== "object" || value === null || depth > MAX_DEPTH) return false;
  if (value instanceof PickleGlobal) throw new RpcError("INVALID_PARAMS", "an array.array cannot be stored in the JetStream store: store its items as a list");
  if (pythonTypeOf(value) !== undefined || value instanceof Timedelta || value instanceof FixedOffset) return true;
  if (value instanceof Uint8Array || value instanceof Date) return false;
  const inner = value instanceof Map ? [...value].flat() : value instanceof Set || Array.isArray(value) ? [...(value as Iterable<unknown>)] : Object.values(value);
  return inner.some((v) => pythonShaped(v, depth + 1));
}

export function encodeStored(value: unknown): Uint8Array {
  if (!pythonShaped(value, 0)) return codec.encode(value);
  const body = encodePickle(value);
  const bytes = new Uint8Array(body.length + 1);
  bytes[0] = PICKLED;
  bytes.set(body, 1);
  return bytes;
}

export function decodeStored(bytes: Uint8Array): unknown {
  return bytes[0] === PICKLED ? decodePickle(bytes.subarray(1)) : codec.decode(bytes);
}
