/**
 * The values of Python classes a shared object may hold that JavaScript has no type for:
 * `decimal.Decimal`, `fractions.Fraction`, `complex`, `datetime.time` and `uuid.UUID`, each a
 * small immutable record of exactly what Python pickles (pickle/stdlib-values.ts writes them
 * back), and a proxy a client stored inside a value (see proxy-argument.ts). Here, not in the
 * manager protocol's code, because the shared objects compare, hash and print them, and every
 * program importing farcall loads the shared objects.
 */
import { RpcError } from "../../core/errors.js";
import { registerType } from "../../core/type-registry.js";
import { FixedOffset, Timedelta } from "../pickle/python-types.js";
import { decimalParts, decimalText } from "./py-decimal.js";

function invalid(message: string): RpcError {
  return new RpcError("INVALID_PARAMS", message);
}

/** Longest Decimal text accepted (its digits are kept as text, never expanded). */
export const MAX_DECIMAL_CHARS = 10_000;

/**
 * `decimal.Decimal`, kept as the text Python pickles, `str(d)`: its digits and exponent
 * exactly, spelled as CPython spells them (`new PyDecimal("1e3").text` is `"1E+3"`, what
 * `str(Decimal('1e3'))` gives; `"1.50"` keeps its trailing zero, as Python does).
 */
export class PyDecimal {
  readonly text: string;
  constructor(text: string) {
    const parts = typeof text === "string" && text.length <= MAX_DECIMAL_CHARS ? decimalParts(text) : undefined;
    if (parts === undefined) {
      throw invalid(`not a Decimal: ${JSON.stringify(String(text).slice(0, 40))} (a Decimal's text, at most ${MAX_DECIMAL_CHARS} characters)`);
    }
    this.text = decimalText(parts);
  }
  toString(): string {
    return this.text;
  }
}

/** `fractions.Fraction`, in lowest terms with a positive denominator, as Python keeps it. */
export class PyFraction {
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
}

export function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a === 0n ? 1n : a;
}

/** `complex`: two floats. */
export class PyComplex {
  constructor(readonly real: number, readonly imag: number) {}
}

/** `datetime.time`: naive, or aware with a fixed offset; `fold` as Python 3.6+ keeps it. */
export class PyTime {
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
}

const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** `uuid.UUID`: its 128-bit integer, and the `is_safe` Python 3 pickles when it is known (0 or -1). */
export class PyUUID {
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
}


let serial = 0;

/**
 * A proxy a client stored inside a value (`a.append(b)`): what Python's server stores, a proxy
 * object. It prints as that proxy prints, equals only itself and hashes by identity, as a
 * Python proxy object does, and goes back to a Python client as the same `RebuildProxy` call.
 * `referent` is the object it names on this server, once bound (see proxy-binding.ts).
 */
export class StoredProxy {
  referent: { readonly value: unknown } | undefined;
  /** Stands for the proxy object's `id()` in its repr. */
  private readonly serial = ++serial;

  constructor(
    /** `ListProxy`, `DictProxy`, `AutoProxy`... as the client's pickle named it. */
    readonly proxyClass: string,
    readonly typeid: string,
    /** The token's address, as the client sent it: `(host, port)` or a unix path. */
    readonly address: unknown,
    readonly ident: string,
    /** An AutoProxy's method names, which Python pickles with it. */
    readonly exposed: unknown,
  ) {}

  /** `type(x).__name__`: an AutoProxy's class is named `AutoProxy[typeid]`. */
  get pythonType(): string {
    return this.proxyClass === "AutoProxy" ? `AutoProxy[${this.typeid}]` : this.proxyClass;
  }

  /** BaseProxy.__repr__ (the address is not a real one). */
  reprPython(): string {
    return `<${this.pythonType} object, typeid '${this.typeid}' at 0x7f00${(0x100000 + this.serial * 0x30).toString(16)}>`;
  }
}

/**
 * Over farcall/1 (and extended JSON) a stored proxy travels as the object it names: a shared
 * object by reference, so a TypeScript reader of `d['inner']` calls the inner dict itself; a
 * plain referent (a number a function returned) as its value. Plain JSON refuses a shared
 * object, naming it (SharedObject's toJSON).
 */
registerType<StoredProxy, unknown>(StoredProxy, {
  name: "farcall.pymanager.StoredProxy",
  encode: (proxy) => proxy.referent?.value,
  // What arrives is the object itself (a reference) or its value, never a proxy to rebuild.
  decode: (value) => value as StoredProxy,
});

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
