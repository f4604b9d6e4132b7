/**
 * Values of Python's standard library classes that a Python program stores in a shared
 * object and that have no JavaScript equivalent: `decimal.Decimal`, `fractions.Fraction`,
 * `complex`, `datetime.time` and `uuid.UUID`. Each is a small immutable record of exactly what
 * Python pickles, written back in a form every Python from 2.7 on reads as the same type and
 * value. (`OrderedDict` and `Counter` are Maps, a `deque` an array, each marked; see
 * python-types.ts.)
 */
import { RpcError } from "../../core/errors.js";
import { registerType } from "../../core/type-registry.js";
import { FixedOffset, pythonTypeOf, Timedelta } from "./python-types.js";
import { PickleGlobal, PickleTuple } from "./values.js";
import { dateGlobal, timedeltaGlobal, timezoneGlobal } from "./datetime.js";

/** What the encoder asks of a value it writes as a call of a Python class. */
export interface PicklesAs {
  pickleAs(protocol: number): PickleGlobal;
}

export function picklesAs(value: object): value is PicklesAs {
  return typeof (value as Partial<PicklesAs>).pickleAs === "function";
}

function invalid(message: string): RpcError {
  return new RpcError("INVALID_PARAMS", message);
}

/** Decimal's string syntax (Python's `Decimal(str)`), with its special values. */
const DECIMAL = /^[+-]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|inf(?:inity)?|s?nan\d*)$/i;
/** Longest Decimal text accepted (its digits are kept as text, never expanded). */
export const MAX_DECIMAL_CHARS = 10_000;

/** `decimal.Decimal`, kept as the text Python pickles (`str(d)`): its digits and exponent exactly. */
export class PyDecimal implements PicklesAs {
  constructor(readonly text: string) {
    if (typeof text !== "string" || text.length > MAX_DECIMAL_CHARS || !DECIMAL.test(text)) {
      throw invalid(`not a Decimal: ${JSON.stringify(String(text).slice(0, 40))} (a Decimal's text, at most ${MAX_DECIMAL_CHARS} characters)`);
    }
  }
  pickleAs(): PickleGlobal {
    return new PickleGlobal("decimal", "Decimal", { args: [this.text] });
  }
  toString(): string {
    return this.text;
  }
}

/** `fractions.Fraction`, in lowest terms with a positive denominator, as Python keeps it. */
export class PyFraction implements PicklesAs {
  readonly numerator: bigint;
  readonly denominator: bigint;
  constructor(numerator: bigint | number, denominator: bigint | number = 1n) {
    let n = BigInt(numerator);
    let d = BigInt(denominator);
    if (d === 0n) throw invalid(`Fraction(${n}, 0): the denominator is zero`);
    if (d < 0n) [n, d] = [-n, -d];
    const g = gcd(n < 0n ? -n : n, d);
    this.numerator = n / g;
    this.denominator = d / g;
  }
  pickleAs(): PickleGlobal {
    return new PickleGlobal("fractions", "Fraction", { args: [this.numerator, this.denominator] });
  }
}

export function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a === 0n ? 1n : a;
}

/** `complex`: two floats. */
export class PyComplex implements PicklesAs {
  constructor(readonly real: number, readonly imag: number) {}
  pickleAs(): PickleGlobal {
    // complex(1, 2) is complex(1.0, 2.0): whole parts may travel as ints.
    return new PickleGlobal("builtins", "complex", { args: [this.real, this.imag] });
  }
}

/** `datetime.time`: naive, or aware with a fixed offset; `fold` as Python 3.6+ keeps it. */
export class PyTime implements PicklesAs {
  constructor(
    readonly hour: number,
    readonly minute = 0,
    readonly second = 0,
    readonly microsecond = 0,
    readonly tzinfo: FixedOffset | null = null,
    readonly fold: 0 | 1 = 0,
  ) {
    const ok = (v: number, max: number) => Number.isInteger(v) && v >= 0 && v <= max;
    if (!ok(hour, 23) || !ok(minute, 59) || !ok(second, 59) || !ok(microsecond, 999_999)) {
      throw invalid(`datetime.time(${hour}, ${minute}, ${second}, ${microsecond}): a field is out of range`);
    }
  }
  /** Microseconds since midnight, adjusted to UTC when aware: what Python compares. */
  get comparable(): bigint {
    const wall = BigInt(((this.hour * 60 + this.minute) * 60 + this.second) * 1_000_000 + this.microsecond);
    return this.tzinfo === null ? wall : wall - this.tzinfo.offset.totalMicroseconds();
  }
  pickleAs(protocol: number): PickleGlobal {
    // fold travels in bit 7 of the hour from protocol 4 on, as CPython writes it.
    const us = this.microsecond;
    const state = Uint8Array.of(this.hour | (protocol >= 4 && this.fold ? 0x80 : 0), this.minute, this.second, us >> 16, (us >> 8) & 0xff, us & 0xff);
    return new PickleGlobal("datetime", "time", { args: this.tzinfo === null ? [state] : [state, timezoneGlobal(this.tzinfo)] });
  }
}

const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** `uuid.UUID`: its 128-bit integer, and the `is_safe` Python 3 pickles when it is known (0 or -1). */
export class PyUUID implements PicklesAs {
  readonly int: bigint;
  constructor(value: bigint | string, readonly isSafe: 0 | -1 | null = null) {
    if (typeof value === "string") {
      const text = value.toLowerCase();
      if (!UUID_TEXT.test(text)) throw invalid(`not a UUID: ${JSON.stringify(value.slice(0, 40))}`);
      value = BigInt(`0x${text.replace(/-/g, "")}`);
    }
    if (typeof value !== "bigint" || value < 0n || value >= 1n << 128n) throw invalid("a UUID's int must be 0 to 2**128 - 1");
    this.int = value;
  }
  toString(): string {
    const hex = this.int.toString(16).padStart(32, "0");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
  pickleAs(): PickleGlobal {
    // As CPython writes it: UUID.__new__ then its state, which 2.7 (no __setstate__) puts in __dict__.
    const state = this.isSafe === null ? { int: this.int } : { int: this.int, is_safe: this.isSafe };
    return new PickleGlobal("uuid", "UUID", { newobj: true, state });
  }
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

/**
 * The call that rebuilds a value of a Python class JavaScript has no type for: a Date (see
 * datetime.ts), a Timedelta, a FixedOffset, a marked deque, OrderedDict or Counter, or one of
 * the classes above; undefined for every other value.
 */
export function pythonGlobal(value: object, protocol: number): PickleGlobal | undefined {
  if (value instanceof Date) return dateGlobal(value, protocol);
  if (value instanceof Timedelta) return timedeltaGlobal(value);
  if (value instanceof FixedOffset) return timezoneGlobal(value);
  const mark = pythonTypeOf(value);
  if (mark === undefined) return picklesAs(value) ? value.pickleAs(protocol) : undefined;
  if (mark === "OrderedDict" || mark === "Counter") return mappingGlobal(value as Map<unknown, unknown>, mark);
  if (typeof mark === "object" && mark.kind === "deque") return dequeGlobal(value as unknown[], mark.maxlen);
  return undefined;
}

/** A value of one of the hashable classes above (a dict key, a set item, in Python). */
export function isHashableClass(value: object): boolean {
  return value instanceof Date || value instanceof Timedelta || value instanceof FixedOffset || (pythonTypeOf(value) === undefined && picklesAs(value));
}

/**
 * Over farcall/1 (and extended JSON) these values travel as themselves, each under one
 * registered name, so a TypeScript reader gets a PyDecimal, not its fields copied into an
 * object; a receiver that never loaded this module sees `{ $type, data }`.
 */
registerType(PyDecimal, { name: "python.Decimal", encode: (v) => v.text, decode: (text: string) => new PyDecimal(text) });
registerType(PyFraction, { name: "python.Fraction", encode: (v) => [v.numerator, v.denominator], decode: ([n, d]: [bigint, bigint]) => new PyFraction(n, d) });
registerType(PyComplex, { name: "python.complex", encode: (v) => [v.real, v.imag], decode: ([re, im]: [number, number]) => new PyComplex(Number(re), Number(im)) });
registerType(PyUUID, { name: "python.UUID", encode: (v) => v.toString(), decode: (text: string) => new PyUUID(text) });
registerType(Timedelta, {
  name: "python.timedelta",
  encode: (v) => [v.days, v.seconds, v.microseconds],
  decode: ([days, seconds, us]: [number, number, number]) => new Timedelta(Number(days), Number(seconds), Number(us)),
});
type TimeData = [number, number, number, number, 0 | 1, [number, number, number, string | null] | null];
registerType(PyTime, {
  name: "python.time",
  encode: (t): TimeData => [t.hour, t.minute, t.second, t.microsecond, t.fold, t.tzinfo === null ? null : [t.tzinfo.offset.days, t.tzinfo.offset.seconds, t.tzinfo.offset.microseconds, t.tzinfo.name ?? null]],
  decode: ([h, m, s, us, fold, tz]: TimeData) => {
    const zone = tz === null ? null : new FixedOffset(new Timedelta(Number(tz[0]), Number(tz[1]), Number(tz[2])), tz[3] ?? undefined);
    return new PyTime(Number(h), Number(m), Number(s), Number(us), zone, fold === 1 ? 1 : 0);
  },
});
