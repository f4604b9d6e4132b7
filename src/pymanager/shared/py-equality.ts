/**
 * Python's equality, hashing and ordering over the JavaScript values a pickle decodes to,
 * for the shared containers: `1 == 1.0 == True`, a tuple equals a tuple of equal items, a
 * list is unhashable. A dict key becomes a JavaScript Map key that is equal exactly when the
 * Python keys are.
 */
import { RpcError } from "../../core/errors.js";
import { pyTypeOf } from "./py-type.js";
import { dequeOf, isTuple, pythonTypeOf, Timedelta } from "../pickle/python-types.js";
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
      // A frozenset hashes by its elements in any order; a set is unhashable, as in Python.
      if (key instanceof Set && pythonTypeOf(key) === "frozenset") return `\0f${[...key].map((k) => encodeKey(hashKey(k))).sort().join(",")}`;
      throw new RpcError("TypeError", `unhashable type: '${Array.isArray(key) ? "list" : key instanceof Map || dictEntries(key) !== undefined ? "dict" : key instanceof Set ? "set" : "object"}'`);
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

const identities = new WeakMap<object, string>();
let identitySerial = 0;

/** A hashed key inside a tuple's or frozenset's key string, kept apart by type. */
function encodeKey(hashed: unknown): string {
  if (typeof hashed === "string") return JSON.stringify(hashed);
  // A NaN equals nothing, so its token is new each time; an object (a stored proxy) keeps one token for its identity.
  if (typeof hashed === "symbol") return `\0n${++identitySerial}`;
  if (typeof hashed === "object" && hashed !== null) {
    let token = identities.get(hashed);
    if (token === undefined) identities.set(hashed, (token = `\0o${++identitySerial}`));
    return token;
  }
  return String(hashed);
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
  if (a instanceof Date && b instanceof Date) {
    const [ka, kb] = [dateKey(a), dateKey(b)];
    return ka[0] === kb[0] && ka[1] === kb[1];
  }
  if (a instanceof PyObject && b instanceof PyObject) {
    return a.className === b.className && a.build === b.build && a.args.length === b.args.length && a.args.every((x, i) => pyEquals(x, b.args[i])) && pyEquals(a.state, b.state);
  }
  // A set equals a set or a frozenset of equal elements.
  if (a instanceof Set && b instanceof Set) return a.size === b.size && setsEqual(a, b);
  const da = dictEntries(a);
  const db = da === undefined ? undefined : dictEntries(b);
  if (da !== undefined && db !== undefined) return dictsEqual(a, da, b, db);
  return false;
}

function setsEqual(a: Set<unknown>, b: Set<unknown>): boolean {
  const keys = new Set<unknown>();
  for (const item of b) keys.add(memberKey(item));
  for (const item of a) if (!keys.has(memberKey(item))) return false;
  return true;
}

/** A dict's entries (a Map, or the plain object a dict of str keys decodes to), else undefined. */
function dictEntries(v: unknown): [unknown, unknown][] | undefined {
  if (v instanceof Map) return [...v];
  if (typeof v !== "object" || v === null || Array.isArray(v)) return undefined;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null ? Object.entries(v) : undefined;
}

/** Dicts are equal with equal keys holding equal values; two OrderedDicts in the same order too. */
function dictsEqual(a: unknown, da: [unknown, unknown][], b: unknown, db: [unknown, unknown][]): boolean {
  if (da.length !== db.length) return false;
  if (pythonTypeOf(a) === "OrderedDict" && pythonTypeOf(b) === "OrderedDict") {
    return da.every(([k, v], i) => pyEquals(k, db[i]![0]) && pyEquals(v, db[i]![1]));
  }
  const byKey = new Map<unknown, unknown>();
  for (const [k, v] of db) byKey.set(hashKey(k), v);
  return da.every(([k, v]) => {
    const h = hashKey(k);
    return byKey.has(h) && pyEquals(v, byKey.get(h));
  });
}

/**
 * The key a set holds `item` under: its hashKey, or the item itself for an object Python
 * hashes by identity (anything but a list, dict or set).
 * @throws RpcError TypeError for a list, dict or set, as Python's set refuses them.
 */
export function memberKey(item: unknown): unknown {
  try {
    return hashKey(item);
  } catch (err) {
    if (Array.isArray(item) || item instanceof Map || item instanceof Set || dictEntries(item) !== undefined) throw err;
    return item;
  }
}

/**
 * Adds `items` to `set` as Python's set does: an item equal to one already there (`1.0` after
 * `1`, a second `(1, 2)`) is left out, so the first stays. `keys` holds the set's member keys,
 * or is undefined while every member is a str or a number other than NaN, which a JavaScript
 * Set already merges as Python does; the keys to pass next time are returned.
 * @throws RpcError PARSE_ERROR for a list, dict or set item.
 */
export function addMembers(set: Set<unknown>, keys: Set<unknown> | undefined, items: readonly unknown[]): Set<unknown> | undefined {
  if (keys === undefined && items.every(isPlainMember)) {
    for (let i = 0; i < items.length; i++) set.add(items[i]);
    return undefined;
  }
  keys ??= new Set([...set].map(memberKey));
  for (let i = 0; i < items.length; i++) {
    let key: unknown;
    try {
      key = memberKey(items[i]);
    } catch (err) {
      // Only a crafted pickle holds one: Python cannot build such a set to pickle.
      throw new RpcError("PARSE_ERROR", `pickle refused: a set element is unhashable (${(err as Error).message})`);
    }
    if (keys.has(key)) continue;
    keys.add(key);
    set.add(items[i]);
  }
  return keys;
}

function isPlainMember(item: unknown): boolean {
  return typeof item === "string" || (typeof item === "number" && item === item);
}

/** A Set of `items` holding one of each group Python calls equal, as Python's `set(items)` does. */
export function pySet(items: readonly unknown[]): Set<unknown> {
  const set = new Set<unknown>();
  addMembers(set, undefined, items);
  return set;
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

/**
 * What a date or datetime compares by: its kind (a date, a naive or an aware datetime, which
 * never compare with each other) and its microseconds since the epoch (at UTC when aware; a
 * naive one's Date holds its wall time as UTC). A Date made in JavaScript is an aware datetime.
 */
function dateKey(d: Date): ["date" | "naive" | "aware", bigint] {
  const mark = pythonTypeOf(d);
  if (mark === "date") return ["date", BigInt(d.getTime())];
  const details = typeof mark === "object" && mark.kind === "datetime" ? mark : undefined;
  const micros = BigInt(d.getTime()) * 1000n + BigInt((details?.microsecond ?? 0) % 1000);
  return [details !== undefined && details.utcOffset === null ? "naive" : "aware", micros];
}

/** Python 3's words for two dates or datetimes it cannot order. */
function unorderedDates(a: Date, b: Date): RpcError {
  if (dateKey(a)[0] !== "date" && dateKey(b)[0] !== "date") return new RpcError("TypeError", "can't compare offset-naive and offset-aware datetimes");
  // datetime subclasses date, so its reflected comparison runs first and names it first.
  return new RpcError("TypeError", "can't compare datetime.datetime to datetime.date");
}

/** What two UUIDs, two timedeltas, two times both naive or both aware, or two dates or datetimes of one kind compare by. */
function orderedKeys(a: unknown, b: unknown): [bigint, bigint] | undefined {
  if (a instanceof Date && b instanceof Date) {
    const [ka, kb] = [dateKey(a), dateKey(b)];
    if (ka[0] !== kb[0]) throw unorderedDates(a, b);
    return [ka[1], kb[1]];
  }
  if (a instanceof PyUUID && b instanceof PyUUID) return [a.int, b.int];
  if (a instanceof Timedelta && b instanceof Timedelta) return [a.totalMicroseconds(), b.totalMicroseconds()];
  if (a instanceof PyTime && b instanceof PyTime && (a.tzinfo === null) === (b.tzinfo === null)) return [a.comparable, b.comparable];
  return undefined;
}
