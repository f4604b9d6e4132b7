/**
 * The standard library value classes a pickle may name, each accepting only the argument
 * shapes CPython (2.7 and 3.x) writes for it: `decimal.Decimal(str)`,
 * `fractions.Fraction(int, int)` (2.7: `(str,)`), `complex(float, float)`,
 * `collections.OrderedDict()` then SETITEMS (2.7: `([[k, v], ...],)`), `collections.deque(())`
 * or `((), maxlen)` then APPENDS (2.7: `(list[, maxlen])`), `collections.Counter(dict)`,
 * `datetime.time(state[, tzinfo])` and `uuid.UUID` by NEWOBJ and BUILD `{'int': n}`. Each
 * builds data, never an object that acts.
 */
import { RpcError } from "../../core/errors.js";
import { FixedOffset, markPython } from "./python-types.js";
import { PyComplex, PyDecimal, PyFraction, PyTime, PyUUID } from "../shared/py-values.js";

function refuse(message: string): RpcError {
  return new RpcError("PARSE_ERROR", `pickle refused: ${message}`);
}

function isInt(v: unknown): v is number | bigint {
  return typeof v === "bigint" || (typeof v === "number" && Number.isSafeInteger(v));
}

export function decodeDecimal(args: unknown[]): PyDecimal {
  if (args.length !== 1 || typeof args[0] !== "string") throw refuse("decimal.Decimal is allowed only with (str,)");
  return new PyDecimal(args[0]);
}

const FRACTION_TEXT = /^\s*([+-]?\d+)(?:\/(\d+))?\s*$/;

export function decodeFraction(args: unknown[]): PyFraction {
  if (args.length === 2 && isInt(args[0]) && isInt(args[1])) return new PyFraction(args[0], args[1]);
  const text = args.length === 1 && typeof args[0] === "string" && args[0].length <= 10_000 ? FRACTION_TEXT.exec(args[0]) : null;
  if (text === null) throw refuse("fractions.Fraction is allowed only with (int, int) or (str,) of the form 'n/d'");
  return new PyFraction(BigInt(text[1]!), BigInt(text[2] ?? "1"));
}

export function decodeComplex(args: unknown[]): PyComplex {
  const [re, im = 0] = args;
  if (args.length < 1 || args.length > 2 || !isNumber(re) || !isNumber(im)) throw refuse("builtins.complex is allowed only with (float, float)");
  return new PyComplex(Number(re), Number(im));
}

function isNumber(v: unknown): v is number | bigint {
  return typeof v === "number" || typeof v === "bigint";
}

/** Python 3 writes `OrderedDict()` and sets the items after; 2.7 passes them as a list of pairs. */
export function decodeOrderedDict(args: unknown[]): Map<unknown, unknown> {
  const map = markPython(new Map<unknown, unknown>(), "OrderedDict");
  if (args.length === 0) return map;
  if (args.length !== 1 || !Array.isArray(args[0])) throw refuse("collections.OrderedDict is allowed only with () or ([[key, value], ...],)");
  for (const pair of args[0]) {
    if (!Array.isArray(pair) || pair.length !== 2) throw refuse("collections.OrderedDict's items must be [key, value] pairs");
    map.set(pair[0], pair[1]);
  }
  return map;
}

/** Python 3 writes `deque(())` or `deque((), maxlen)` and appends after; 2.7 passes the items. */
export function decodeDeque(args: unknown[]): unknown[] {
  const [items = [], maxlen = null] = args;
  if (args.length > 2 || !Array.isArray(items) || !(maxlen === null || (typeof maxlen === "number" && Number.isSafeInteger(maxlen) && maxlen >= 0))) {
    throw refuse("collections.deque is allowed only with ([items[, maxlen]])");
  }
  return markPython([...items], { kind: "deque", maxlen });
}

export function decodeCounter(args: unknown[]): Map<unknown, unknown> {
  const counts = args[0];
  if (args.length > 1 || (args.length === 1 && (typeof counts !== "object" || counts === null || Array.isArray(counts)))) {
    throw refuse("collections.Counter is allowed only with (dict,)");
  }
  const entries = counts === undefined ? [] : counts instanceof Map ? [...counts] : Object.entries(counts as object);
  return markPython(new Map(entries), "Counter");
}

/** `datetime.time(state, tzinfo?)`: 6 bytes, hour (bit 7: fold), minute, second, microsecond in 3. */
export function decodeTime(args: unknown[]): PyTime {
  const [state, tz = null] = args;
  const b = state instanceof Uint8Array ? state : typeof state === "string" && /^[\0-\xff]{6}$/.test(state) ? Uint8Array.from(state, (c) => c.charCodeAt(0)) : undefined;
  if (args.length < 1 || args.length > 2 || b === undefined || b.length !== 6 || !(tz === null || tz instanceof FixedOffset)) {
    throw refuse("datetime.time is allowed only with its 6-byte state and a datetime.timezone");
  }
  try {
    return new PyTime(b[0]! & 0x7f, b[1]!, b[2]!, (b[3]! << 16) | (b[4]! << 8) | b[5]!, tz, (b[0]! & 0x80) === 0 ? 0 : 1);
  } catch {
    throw refuse("datetime.time: a field is out of range");
  }
}

/** `uuid.UUID.__new__()`: BUILD gives it its int (see UuidUnderConstruction). */
export function decodeUuid(args: unknown[]): UuidUnderConstruction {
  if (args.length !== 0) throw refuse("uuid.UUID is allowed only as UUID.__new__() with its state");
  return new UuidUnderConstruction();
}

/** A UUID whose state has not arrived yet; BUILD replaces it by the PyUUID (see decode.ts). */
export class UuidUnderConstruction {
  withState(state: unknown): PyUUID {
    const fields = state instanceof Map ? Object.fromEntries(state) : state;
    const int = (fields as { int?: unknown } | null)?.int;
    const safe = (fields as { is_safe?: unknown } | null)?.is_safe ?? null;
    if (typeof fields !== "object" || fields === null || !isInt(int) || !(safe === null || safe === 0 || safe === -1)) {
      throw refuse("uuid.UUID's state must be {'int': int[, 'is_safe': 0 | -1 | None]}");
    }
    try {
      return new PyUUID(BigInt(int), safe);
    } catch {
      throw refuse("uuid.UUID's int is out of range");
    }
  }
}
