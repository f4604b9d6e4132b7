/**
 * Python 2.7's ordering, for a 2.7 client's `sort()`: values of different types compare
 * where Python 3 raises. None sorts first, then every number, then the rest by their type's
 * name (`'dict' < 'list' < 'str' < 'tuple'`); values of one type compare as Python 3 compares
 * them (lists and tuples item by item, by these rules), and those Python 2.7 orders only by
 * memory address (two dicts of one length, two sets) keep their order. Complex numbers and
 * the datetime module's types still refuse, in 2.7's words.
 */
import { RpcError } from "../../core/errors.js";
import { dequeOf, isTuple, pythonTypeOf, Timedelta } from "../pickle/python-types.js";
import { pyEquals } from "./py-equality.js";
import { pyTypeOf } from "./py-type.js";
import { compareReal } from "./py-numbers.js";
import { PyComplex, PyDecimal, PyFraction, PyTime, PyUUID, StoredProxy } from "./py-values.js";

function isNumber(v: unknown): boolean {
  const t = typeof v;
  return t === "number" || t === "bigint" || t === "boolean" || v instanceof PyDecimal || v instanceof PyFraction || v instanceof PyComplex;
}

function isDatetime(v: unknown): boolean {
  return v instanceof Date || v instanceof PyTime || v instanceof Timedelta;
}

/** `type(v).__name__` as 2.7's default comparison reads it (`tp_name`); a text is a `str`, whose name 2.7's `unicode` shares here. */
function typeName(v: unknown): string {
  if (typeof v === "string") return "str";
  if (Array.isArray(v)) return isTuple(v) ? "tuple" : dequeOf(v) !== undefined ? "collections.deque" : "list";
  if (v instanceof Uint8Array) return pythonTypeOf(v) === "bytearray" ? "bytearray" : "str";
  if (v instanceof Set) return pythonTypeOf(v) === "frozenset" ? "frozenset" : "set";
  if (v instanceof Date) return pythonTypeOf(v) === "date" ? "datetime.date" : "datetime.datetime";
  if (v instanceof PyTime) return "datetime.time";
  if (v instanceof Timedelta) return "datetime.timedelta";
  if (v instanceof PyUUID) return "UUID";
  if (v instanceof StoredProxy) return v.pythonType;
  // A dict (a Map, or a plain object of str keys); OrderedDict and Counter compare as dicts.
  return "dict";
}

/** Python 2.7's `cmp(a, b)` as `list.sort()` uses it. @throws RpcError TypeError for a complex number against a number. */
export function py2Compare(a: unknown, b: unknown): number {
  // The datetime module's types refuse any other type, before 2.7's default order applies.
  const da = isDatetime(a);
  const db = isDatetime(b);
  if (da || db) {
    // A datetime.datetime is named first: its comparison runs before its base class date's.
    const [dt, other] = da && (!db || (a instanceof Date && pythonTypeOf(a) !== "date")) ? [a, b] : [b, a];
    if (!da || !db || typeName(a) !== typeName(b)) throw new RpcError("TypeError", `can't compare ${typeName(dt)} to ${isNumber(other) || other === null || other === undefined ? pyTypeOf(other) : typeName(other)}`);
  }
  const na = isNumber(a);
  const nb = isNumber(b);
  if (na && nb) {
    if (a instanceof PyComplex || b instanceof PyComplex) throw new RpcError("TypeError", "no ordering relation is defined for complex numbers");
    // A NaN is neither less nor greater: it stays where it is.
    return compareReal(a, b) ?? 0;
  }
  if (a === null || a === undefined) return b === null || b === undefined ? 0 : -1;
  if (b === null || b === undefined) return 1;
  if (na !== nb) return na ? -1 : 1;
  const ta = typeName(a);
  const tb = typeName(b);
  if (ta !== tb) return ta < tb ? -1 : 1;
  return sameType(a, b);
}

function sameType(a: unknown, b: unknown): number {
  if (typeof a === "string") return order(a, b as string);
  if (Array.isArray(a)) {
    const other = b as unknown[];
    for (let i = 0; i < a.length && i < other.length; i++) if (!pyEquals(a[i], other[i])) return py2Compare(a[i], other[i]);
    return a.length - other.length;
  }
  if (a instanceof Uint8Array) return Buffer.compare(a, b as Uint8Array);
  if (a instanceof Date) return order(a.getTime(), (b as Date).getTime());
  if (a instanceof PyUUID) return order(a.int, (b as PyUUID).int);
  if (a instanceof Timedelta) return order(a.totalMicroseconds(), (b as Timedelta).totalMicroseconds());
  if (a instanceof PyTime) return order(a.comparable, (b as PyTime).comparable);
  // Two dicts: 2.7 compares their lengths first (and then their smallest differing key, not followed here).
  if (typeName(a) === "dict") return order(sizeOf(a), sizeOf(b));
  return 0;
}

function sizeOf(dict: unknown): number {
  return dict instanceof Map ? dict.size : Object.keys(dict as object).length;
}

function order<T extends number | bigint | string>(a: T, b: T): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
