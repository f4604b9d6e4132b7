/**
 * The name of a value's Python type, as Python's error messages say it. Apart from repr.ts so
 * that the shared objects, which every program importing farcall loads, need none of the
 * manager protocol's printing code.
 */
import { pythonTypeOf, Timedelta } from "../pickle/python-types.js";
import { PyComplex, PyDecimal, PyFraction, PyTime, PyUUID, StoredProxy } from "./py-values.js";
import { PyObject } from "./py-object.js";

/** The name of `type(value)` in Python, as error messages say it (`not "list"`, `not str`). */
export function pyTypeOf(value: unknown): string {
  const stdlib = typeof value === "object" && value !== null ? stdlibTypeOf(value) : undefined;
  if (stdlib !== undefined) return stdlib;
  if (Array.isArray(value)) return pythonTypeOf(value) === "tuple" ? "tuple" : "list";
  if (typeof value === "string") return "str";
  if (value instanceof Uint8Array) return pythonTypeOf(value) === "bytearray" ? "bytearray" : "bytes";
  if (value === null || value === undefined) return "NoneType";
  if (typeof value === "number") return Number.isInteger(value) ? "int" : "float";
  if (typeof value === "bigint") return "int";
  if (typeof value === "boolean") return "bool";
  if (value instanceof Map) return "dict";
  if (value instanceof Date) return pythonTypeOf(value) === "date" ? "datetime.date" : "datetime.datetime";
  if (value instanceof Set) return pythonTypeOf(value) === "frozenset" ? "frozenset" : "set";
  if (value instanceof StoredProxy) return value.pythonType;
  if (value instanceof PyObject) return value.name;
  // A dict of str keys decodes to a plain object.
  const proto = typeof value === "object" ? Object.getPrototypeOf(value) : undefined;
  return proto === Object.prototype || proto === null ? "dict" : "object";
}

/** The standard library classes of pickle/stdlib-values.ts, and the marked Maps and arrays. */
function stdlibTypeOf(value: unknown): string | undefined {
  // Python's messages name a C type by its tp_name (`decimal.Decimal`), a Python class by its name.
  if (value instanceof PyDecimal) return "decimal.Decimal";
  if (value instanceof PyFraction) return "Fraction";
  if (value instanceof PyComplex) return "complex";
  if (value instanceof PyTime) return "datetime.time";
  if (value instanceof PyUUID) return "UUID";
  if (value instanceof Timedelta) return "datetime.timedelta";
  const mark = pythonTypeOf(value);
  if (mark === "OrderedDict") return "collections.OrderedDict";
  if (mark === "Counter") return "Counter";
  return typeof mark === "object" && mark.kind === "deque" ? "collections.deque" : undefined;
}
