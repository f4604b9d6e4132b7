/**
 * The name of a value's Python type, as Python's error messages say it. Apart from repr.ts so
 * that the shared objects, which every program importing farcall loads, need none of the
 * manager protocol's printing code.
 */
import { pythonTypeOf } from "../pickle/python-types.js";
import { ProxyArgument } from "../proxy-argument.js";

/** The name of `type(value)` in Python, as error messages say it (`not "list"`, `not str`). */
export function pyTypeOf(value: unknown): string {
  if (Array.isArray(value)) return pythonTypeOf(value) === "tuple" ? "tuple" : "list";
  if (typeof value === "string") return "str";
  if (value instanceof Uint8Array) return pythonTypeOf(value) === "bytearray" ? "bytearray" : "bytes";
  if (value === null || value === undefined) return "NoneType";
  if (typeof value === "number") return Number.isInteger(value) ? "int" : "float";
  if (typeof value === "bigint") return "int";
  if (typeof value === "boolean") return "bool";
  if (value instanceof Map) return "dict";
  if (value instanceof Set) return pythonTypeOf(value) === "frozenset" ? "frozenset" : "set";
  if (value instanceof ProxyArgument) return value.pythonType;
  return "object";
}
