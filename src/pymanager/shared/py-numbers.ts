/**
 * Python's numeric tower over the values a pickle decodes to, for dict keys, equality and
 * sorting: `Decimal(1) == 1 == 1.0 == Fraction(1) == complex(1, 0) == True`, hashing alike,
 * and `Decimal('1.5') == 1.5 == Fraction(3, 2)` while `Decimal('1.1') != 1.1` (the float is
 * not exactly 1.1). Every finite value becomes an exact fraction; the key of a value is the
 * key of the int or float it equals, else a text naming the fraction in lowest terms.
 */
import { RpcError } from "../../core/errors.js";
import { gcd, PyComplex, PyDecimal, PyFraction } from "./py-values.js";

/** An exact fraction n/d, d > 0, in lowest terms. */
export type Rational = readonly [bigint, bigint];

/** Decimal exponents past this are refused as keys and in comparisons: 10**4000 is already 13 KB of digits. */
const MAX_EXPONENT = 4000;

const DECIMAL_PARTS = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/** A Decimal's exact value, ±Infinity, or NaN. @throws RpcError when its exponent is past ±4000. */
export function decimalValue(d: PyDecimal): Rational | number {
  const text = d.text.toLowerCase();
  if (text.includes("nan")) return NaN;
  if (text.includes("inf")) return text.startsWith("-") ? -Infinity : Infinity;
  const [, sign, whole, fraction = "", exponent = "0"] = DECIMAL_PARTS.exec(text)!;
  const exp = Number(exponent) - fraction.length;
  const digits = BigInt(`${whole}${fraction}` || "0");
  if (Math.abs(exp) > MAX_EXPONENT && digits !== 0n) {
    throw new RpcError("ValueError", `Decimal('${d.text.slice(0, 40)}') has an exponent past ±${MAX_EXPONENT}, which this server does not compare or hash`);
  }
  const n = sign === "-" ? -digits : digits;
  return exp >= 0 || digits === 0n ? [n * 10n ** BigInt(Math.max(exp, 0)), 1n] : reduce(n, 10n ** BigInt(-exp));
}

function reduce(n: bigint, d: bigint): Rational {
  const g = gcd(n < 0n ? -n : n, d);
  return [n / g, d / g];
}

const view = new DataView(new ArrayBuffer(8));

/** A finite float's exact value. */
export function floatValue(x: number): Rational {
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const exp = Number((bits >> 52n) & 0x7ffn);
  const mantissa = exp === 0 ? (bits & 0xfffffffffffffn) << 1n : (bits & 0xfffffffffffffn) | (1n << 52n);
  const signed = bits >> 63n === 1n ? -mantissa : mantissa;
  const shift = exp === 0 ? -1075 : exp - 1075;
  return shift >= 0 ? [signed << BigInt(shift), 1n] : reduce(signed, 1n << BigInt(-shift));
}

/** The exact value of a real number (int, bool, float, Decimal, Fraction), a non-finite number as a float, else undefined. */
export function realValue(v: unknown): Rational | number | undefined {
  switch (typeof v) {
    case "boolean": return [v ? 1n : 0n, 1n];
    case "bigint": return [v, 1n];
    case "number": return Number.isFinite(v) ? floatValue(v) : v;
    default: break;
  }
  if (v instanceof PyDecimal) return decimalValue(v);
  if (v instanceof PyFraction) return [v.numerator, v.denominator];
  return undefined;
}

/** The Map key of a Decimal, a Fraction or a complex, equal to the key of every Python number it equals. */
export function numberKey(v: PyDecimal | PyFraction | PyComplex): unknown {
  if (v instanceof PyComplex) {
    if (v.imag === 0) return floatKey(v.real);
    return `\0c${String(floatKey(v.real))},${String(floatKey(v.imag))}`;
  }
  const value = realValue(v)!;
  if (typeof value === "number") {
    // A NaN equals nothing, not even itself: each one a key of its own, as each request's NaN is a new object in Python.
    if (Number.isNaN(value)) return Symbol("NaN");
    return value;
  }
  return rationalKey(value);
}

/** The Map key of a Python int: the number itself while exact, else a text (py-equality.ts's hashKey uses it too). */
export function intKey(n: bigint): unknown {
  return Number.isSafeInteger(Number(n)) ? Number(n) : `\0i${n}`;
}

/** The Map key of a float other than NaN: -0.0 and 0.0 are one key, as in Python. */
export function floatKey(x: number): unknown {
  return Object.is(x, -0) ? 0 : x;
}

function rationalKey([n, d]: Rational): unknown {
  if (d === 1n) return intKey(n);
  const x = Number(n) / Number(d);
  if (Number.isFinite(x) && x !== 0) {
    const [fn, fd] = floatValue(x);
    if (fn === n && fd === d) return x; // exactly that float: the float's key
  }
  return `\0q${n}/${d}`;
}

/** Python's ordering of two real numbers, or undefined when either is not one (or is NaN). */
export function compareReal(a: unknown, b: unknown): number | undefined {
  const x = realValue(a);
  const y = realValue(b);
  if (x === undefined || y === undefined) return undefined;
  if (typeof x === "number" || typeof y === "number") {
    const fx = typeof x === "number" ? x : Number(x[0]) / Number(x[1]);
    const fy = typeof y === "number" ? y : Number(y[0]) / Number(y[1]);
    if (Number.isNaN(fx) || Number.isNaN(fy)) return undefined;
    return fx < fy ? -1 : fx > fy ? 1 : 0;
  }
  const left = x[0] * y[1];
  const right = y[0] * x[1];
  return left < right ? -1 : left > right ? 1 : 0;
}
