/**
 * Python's equality, hashing and ordering over the JavaScript values a pickle decodes to,
 * for the shared containers: `1 == 1.0 == True`, a tuple equals a tuple of equal items, a
 * list is unhashable. A dict key becomes a JavaScript Map key that is equal exactly when the
 * Python keys are.
 */
import { RpcError } from "../../core/errors.js";
import { pyTypeOf } from "./py-type.js";
import { dequeOf, isTuple, Timedelta } from "../pickle/python-types.js";
import { PyComplex, PyDecimal, PyFraction, PyTime, PyUUID, StoredProxy } from "./py-values.js";
import { compareReal, floatKey, intKey, numberKey } from "./py-numbers.js";
import { PyObject } from "./py-object.js";

/** The Map key standing for Python key `key`. @throws RpcError TypeError for an unhashable key. */
export function hashKey(key: unknown): unknown {
  switch (typeof key) {
    case "string":
      return key;
    case "boolean":
      return key ? 1 : 0;
    case "number":
      // NaN != NaN: each float NaN a key of its own, as Python finds one only by identity.
      return key !== key ? Symbol("nan") : floatKey(key);
    case "bigint":
      return intKey(key);
    default:
      if (key === null || key === undefined) return null;
      if (isTuple(key)) return `\0t${key.map((k) => encodeKey(hashKey(k))).join(",")}`;
      if (key instanceof Uint8Array) return `\0b${Buffer.from(key).toString("hex")}`;
      if (key instanceof Date) return `\0d${key.getTime()}`;
      if (key instanceof PyDecimal || key instanceof PyFraction || key instanceof PyComplex) return numberKey(key);
      if (key instanceof PyUUID) return `\0U${key.int}`;
      // Python: a naive time never equals an aware one; aware ones compare at UTC.
      if (key instanceof PyTime) return `\0T${key.tzinfo === null ? "n" : "a"}${key.comparable}`;
      if (key instanceof Timedelta) return `\0D${key.totalMicroseconds()}`;
      // A stored proxy hashes and compares by identity, as Python's proxy objects do.
      if (key instanceof StoredProxy) return key;
      if (key instanceof PyObject) return `\0o${key.className}\0${key.build}\0${key.args.map((k) => encodeKey(hashKey(k))).join(",")}\0${stateKey(key.state)}`;
      throw new RpcError("TypeError", `unhashable type: '${Array.isArray(key) ? "list" : key instanceof Map ? "dict" : key instanceof Set ? "set" : "object"}'`);
  }
}

/**
 * A program's own instance hashes by its class, arguments and state (its `__dict__`, a dict):
 * Python would ask the class's `__hash__`, which the server cannot run; by value is what a
 * namedtuple, a frozen dataclass and an Enum do.
 */
function stateKey(state: unknown): string {
  if (state === undefined) return "-";
  if (state instanceof Map) return `{${[...state].map(([k, v]) => `${encodeKey(hashKey(k))}:${stateKey(v)}`).join(",")}}`;
  if (typeof state === "object" && state !== null && Object.getPrototypeOf(state) === Object.prototype) {
    return `{${Object.entries(state).map(([k, v]) => `${JSON.stringify(k)}:${stateKey(v)}`).join(",")}}`;
  }
  if (Array.isArray(state) && isTuple(state)) return `(${state.map(stateKey).join(",")})`;
  return encodeKey(hashKey(state));
}

/** A hashed key inside a tuple's key string, kept apart by type. */
function encodeKey(hashed: unknown): string {
  return typeof hashed === "string" ? JSON.stringify(hashed) : String(hashed);
}

/** Python's `a == b` for decoded values. */
export function pyEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const na = numeric(a);
  const nb = numeric(b);
  if (na !== undefined && nb !== undefined) return na == nb; // eslint-disable-line eqeqeq -- 1 == 1n, as 1 == 1.0 in Python
  if (isValueClass(a) || isValueClass(b)) return keysEqual(a, b);
  if (na !== undefined || nb !== undefined) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    // A deque equals only a deque, a tuple only a tuple, a list only a list.
    if (isTuple(a) !== isTuple(b) || (dequeOf(a) === undefined) !== (dequeOf(b) === undefined) || a.length !== b.length) return false;
    return a.every((x, i) => pyEquals(x, b[i]));
  }
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.from(a).equals(b);
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  if (a instanceof PyObject && b instanceof PyObject) {
    return a.className === b.className && a.build === b.build && a.args.length === b.args.length && a.args.every((x, i) => pyEquals(x, b.args[i])) && pyEquals(a.state, b.state);
  }
  return false;
}

function isValueClass(v: unknown): boolean {
  return v instanceof PyDecimal || v instanceof PyFraction || v instanceof PyComplex || v instanceof PyTime || v instanceof PyUUID || v instanceof Timedelta;
}

/** Equal keys mean equal values for the value classes; a NaN or an unhashable value equals nothing here. */
function keysEqual(a: unknown, b: unknown): boolean {
  try {
    return hashKey(a) === hashKey(b);
  } catch {
    return false;
  }
}

function numeric(v: unknown): number | bigint | undefined {
  if (typeof v === "number" || typeof v === "bigint") return v;
  if (typeof v === "boolean") return v ? 1 : 0;
  return undefined;
}

/** Python's ordering for `sort()`: numbers, strings, and lists or tuples item by item. @throws RpcError TypeError otherwise. */
export function pyCompare(a: unknown, b: unknown): number {
  const na = numeric(a);
  const nb = numeric(b);
  if (na !== undefined && nb !== undefined) return na < nb ? -1 : na > nb ? 1 : 0;
  if (typeof a === "string" && typeof b === "string") return a < b ? -1 : a > b ? 1 : 0;
  const real = compareReal(a, b);
  if (real !== undefined) return real;
  const ordered = orderedKeys(a, b);
  if (ordered !== undefined) return ordered[0] < ordered[1] ? -1 : ordered[0] > ordered[1] ? 1 : 0;
  if (Array.isArray(a) && Array.isArray(b) && isTuple(a) === isTuple(b)) {
    for (let i = 0; i < a.length && i < b.length; i++) {
      if (!pyEquals(a[i], b[i])) return pyCompare(a[i], b[i]);
    }
    return a.length - b.length;
  }
  // Python's words; a sort compares the later item with an earlier one, as V8's TimSort does too.
  throw new RpcError("TypeError", `'<' not supported between instances of '${pyTypeOf(a)}' and '${pyTypeOf(b)}'`);
}

/** What two UUIDs, two timedeltas, or two times both naive or both aware compare by. */
function orderedKeys(a: unknown, b: unknown): [bigint, bigint] | undefined {
  if (a instanceof PyUUID && b instanceof PyUUID) return [a.int, b.int];
  if (a instanceof Timedelta && b instanceof Timedelta) return [a.totalMicroseconds(), b.totalMicroseconds()];
  if (a instanceof PyTime && b instanceof PyTime && (a.tzinfo === null) === (b.tzinfo === null)) return [a.comparable, b.comparable];
  return undefined;
}
