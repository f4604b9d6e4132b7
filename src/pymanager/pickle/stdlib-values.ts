/**
 * How the values of Python classes JavaScript has no type for are written back to Python: a
 * Date (see datetime.ts), a Timedelta, a FixedOffset, a marked deque, OrderedDict or Counter,
 * the value classes of shared/py-values.ts and a stored proxy, each as the call of its Python
 * class that every Python from 2.7 on reads as the same type and value.
 */
import { FixedOffset, pythonTypeOf, Timedelta } from "./python-types.js";
import { PickleGlobal, PickleGlobalRef, PickleNativeStr, PickleTuple, pickleTuple } from "./values.js";
import { dateGlobal, timedeltaGlobal, timezoneGlobal } from "./datetime.js";
import { PyComplex, PyDecimal, PyFraction, PyTime, PyUUID, StoredProxy } from "../shared/py-values.js";
import { PyObject } from "../shared/py-object.js";

/** The call that rebuilds `value`, or undefined for a value with a pickle form of its own. */
export function pythonGlobal(value: object, protocol: number): PickleGlobal | undefined {
  if (value instanceof Date) return dateGlobal(value, protocol);
  if (value instanceof Timedelta) return timedeltaGlobal(value);
  if (value instanceof FixedOffset) return timezoneGlobal(value);
  const mark = pythonTypeOf(value);
  if (mark === undefined) return classGlobal(value, protocol);
  if (mark === "OrderedDict" || mark === "Counter") return mappingGlobal(value as Map<unknown, unknown>, mark);
  if (typeof mark === "object" && mark.kind === "deque") return dequeGlobal(value as unknown[], mark.maxlen);
  return undefined;
}

/** A value of one of the hashable classes (a dict key, a set item, in Python). */
export function isHashableClass(value: object): boolean {
  return value instanceof Date || value instanceof Timedelta || value instanceof FixedOffset || (pythonTypeOf(value) === undefined && classGlobal(value, 4) !== undefined);
}

function classGlobal(value: object, protocol: number): PickleGlobal | undefined {
  if (value instanceof PyDecimal) return new PickleGlobal("decimal", "Decimal", { args: [value.text] });
  if (value instanceof PyFraction) return new PickleGlobal("fractions", "Fraction", { args: [value.numerator, value.denominator] });
  // complex(1, 2) is complex(1.0, 2.0): whole parts may travel as ints.
  if (value instanceof PyComplex) return new PickleGlobal("builtins", "complex", { args: [value.real, value.imag] });
  if (value instanceof PyTime) return timeGlobal(value, protocol);
  if (value instanceof PyUUID) {
    // As CPython writes it: UUID.__new__ then its state, which 2.7 (no __setstate__) puts in __dict__.
    const state = value.isSafe === null ? { int: value.int } : { int: value.int, is_safe: value.isSafe };
    return new PickleGlobal("uuid", "UUID", { newobj: true, state });
  }
  if (value instanceof StoredProxy) return storedProxyGlobal(value);
  if (value instanceof PyObject) return new PickleGlobal(value.module, value.name, { args: value.args, state: value.state, newobj: value.build === "newobj" });
  return undefined;
}

function timeGlobal(t: PyTime, protocol: number): PickleGlobal {
  // fold travels in bit 7 of the hour from protocol 4 on, as CPython writes it.
  const us = t.microsecond;
  const state = Uint8Array.of(t.hour | (protocol >= 4 && t.fold ? 0x80 : 0), t.minute, t.second, us >> 16, (us >> 8) & 0xff, us & 0xff);
  return new PickleGlobal("datetime", "time", { args: t.tzinfo === null ? [state] : [state, timezoneGlobal(t.tzinfo)] });
}

/**
 * Python's server pickles the proxy it rebuilt as RebuildProxy again, with kwds {} or, for an
 * AutoProxy, {'exposed': names}; 2.7 needs the Token's typeid as its native str.
 */
function storedProxyGlobal(proxy: StoredProxy): PickleGlobal {
  const address = Array.isArray(proxy.address) ? new PickleTuple(proxy.address) : proxy.address;
  const token = new PickleGlobal("multiprocessing.managers", "Token", { newobj: true, state: pickleTuple(new PickleNativeStr(proxy.typeid), address, proxy.ident) });
  const kwds = proxy.proxyClass === "AutoProxy" && Array.isArray(proxy.exposed) ? { exposed: new PickleTuple(proxy.exposed) } : {};
  return new PickleGlobal("multiprocessing.managers", "RebuildProxy", { args: [new PickleGlobalRef(`multiprocessing.managers.${proxy.proxyClass}`), token, "pickle", kwds] });
}

/** A deque as `collections.deque(items[, maxlen])`, which every Python from 2.7 on reads. */
export function dequeGlobal(items: unknown[], maxlen: number | null): PickleGlobal {
  return new PickleGlobal("collections", "deque", { args: maxlen === null ? [[...items]] : [[...items], maxlen] });
}

/** An OrderedDict as `OrderedDict([(k, v), ...])`, a Counter as `Counter({k: n})`. */
export function mappingGlobal(map: Map<unknown, unknown>, mark: "OrderedDict" | "Counter"): PickleGlobal {
  const items = mark === "Counter" ? new Map(map) : [...map].map((pair) => new PickleTuple(pair));
  return new PickleGlobal("collections", mark, { args: [items] });
}
