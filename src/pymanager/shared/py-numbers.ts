/**
 * Python's numeric tower over the values a pickle decodes to, for dict keys, equality and
 * sorting: `Decimal(1) == 1 == 1.0 == Fraction(1) == complex(1, 0) == True`, hashing alike,
 * and `Decimal('1.5') == 1.5 == Fraction(3, 2)` while `Decimal('1.1') != 1.1` (the float is
 * not exactly 1.1). Every finite value becomes an exact fraction, but for a Decimal whose
 * exponent is too large to expand (`Decimal('1E+999999')`), kept as coefficient and exponent;
 * the key of a value is the key of the int or float it equals, else a text naming the
 * fraction in lowest terms (or the large Decimal's reduced coefficient and exponent).
 */
import { gcd, PyComplex, PyDecimal, PyFraction } from "./py-values.js";
import { decimalParts, reducedDecimal } from "./py-decimal.js";

/** An exact fraction n/d, d > 0, in lowest terms. */
export type Rational = readonly [bigint, bigint];

/**
 * A Decimal too large or too fine to expand: `coefficient * 10**exponent`, no trailing zeros in
 * the coefficient. Past these bounds it equals no int or Fraction a pickle can carry (a LONG is
 * at most 1 KiB, 8192 bits: an int under 10**2467, a denominator at most 2**8192, while such a
 * Decimal's lowest-terms denominator is at least 2**-exponent), so its key need not be theirs.
 */
export interface LargeDecimal {
  readonly coefficient: bigint;
  readonly exponent: bigint;
}

/** Decimal exponents (after trailing zeros) up to these are expanded exactly: 10**8300 is 3.4 KB. */
const EXPAND_ABOVE = 2_500n;
const EXPAND_BELOW = -8_300n;

/** A Decimal's exact value (a Rational, or a LargeDecimal past the bounds), ±Infinity, or NaN. */
export function decimalValue(d: PyDecimal): Rational | LargeDecimal | number {
  const parts = decimalParts(d.text)!;
  if ("special" in parts) return parts.special === "Infinity" ? (parts.negative ? -Infinity : Infinity) : NaN;
  if (/^0*$/.test(parts.digits)) return [0n, 1n];
  const { coefficient, exponent } = reducedDecimal(parts);
  if (exponent > EXPAND_ABOVE || exponent < EXPAND_BELOW) return { coefficient, exponent };
  return exponent >= 0n ? [coefficient * 10n ** exponent, 1n] : reducePowerOfTen(coefficient, -exponent);
}

/** n / 10**k in lowest terms. n has no factor 10, so it shares only 2s or only 5s with 10**k: no gcd needed. */
function reducePowerOfTen(n: bigint, k: bigint): Rational {
  let twos = k;
  let fives = k;
  let m = n < 0n ? -n : n;
  while (twos > 0n && (m & 1n) === 0n) [m, twos] = [m >> 1n, twos - 1n];
  while (fives > 0n && m % 5n === 0n) [m, fives] = [m / 5n, fives - 1n];
  return [n < 0n ? -m : m, (1n << twos) * 5n ** fives];
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
export function realValue(v: unknown): Rational | LargeDecimal | number | undefined {
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
  return Array.isArray(value) ? rationalKey(value as Rational) : scaledKey((value as LargeDecimal).coefficient, (value as LargeDecimal).exponent);
}

/**
 * The Map key of a Python int: the number itself while a float holds it exactly (`2**60` and
 * `2.0**60` are one key), else its digits without trailing zeros and their count, the key a
 * Decimal of that value has too (`10**3000` and `Decimal('1E+3000')`), found without expanding it.
 */
export function intKey(n: bigint): unknown {
  const x = Number(n);
  if (Number.isSafeInteger(x) || (Number.isFinite(x) && BigInt(x) === n)) return x;
  const digits = n.toString();
  const stripped = digits.replace(/0+$/, "");
  return scaledKey(stripped, BigInt(digits.length - stripped.length));
}

/** The key text of `coefficient * 10**exponent`, coefficient without trailing zeros. */
function scaledKey(coefficient: bigint | string, exponent: bigint): string {
  return `\0e${coefficient}e${exponent}`;
}

/** The Map key of a float other than NaN: -0.0 and 0.0 are one key, as in Python. */
export function floatKey(x: number): unknown {
  return Object.is(x, -0) ? 0 : x;
}

function rationalKey([n, d]: Rational): unknown {
  if (d === 1n) return intKey(n);
  const x = nearestFloat(n, d);
  if (Number.isFinite(x) && x !== 0) {
    const [fn, fd] = floatValue(x);
    if (fn === n && fd === d) return x; // exactly that float: the float's key
  }
  return `\0q${n}/${d}`;
}

/**
 * A float near n/d, exact whenever n/d is a float. A float's denominator is a power of two up
 * to 2**1074 (a subnormal's), past the double range itself, so it is divided out in two steps.
 */
function nearestFloat(n: bigint, d: bigint): number {
  if ((d & (d - 1n)) !== 0n) return Number(n) / Number(d);
  const k = d.toString(2).length - 1;
  const first = Math.min(k, 1000);
  return Number(n) / 2 ** first / 2 ** (k - first);
}

/** Python's ordering of two real numbers, or undefined when either is not one (or is NaN). */
export function compareReal(a: unknown, b: unknown): number | undefined {
  const x = realValue(a);
  const y = realValue(b);
  if (x === undefined || y === undefined) return undefined;
  if (typeof x === "number" || typeof y === "number") {
    const fx = typeof x === "number" ? x : signOf(x);
    const fy = typeof y === "number" ? y : signOf(y);
    if (Number.isNaN(fx) || Number.isNaN(fy)) return undefined;
    // A finite value against an infinity: only the infinity's sign matters.
    return typeof x === "number" && typeof y === "number" ? order(fx, fy) : typeof x === "number" ? order(fx, 0) : order(0, fy);
  }
  return compareExact(x, y);
}

function order<T extends number | bigint | string>(a: T, b: T): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function signOf(v: Rational | LargeDecimal): number {
  const n = Array.isArray(v) ? (v as Rational)[0] : (v as LargeDecimal).coefficient;
  return n < 0n ? -1 : n > 0n ? 1 : 0;
}

/**
 * Orders two exact values. A LargeDecimal is weighed by its order of magnitude first, and
 * expanded only when the other value is within a digit or two of it, where the expansion is
 * no longer than the values' own digits: `Decimal('1E+999999') > 10**2000` builds nothing.
 */
function compareExact(x: Rational | LargeDecimal, y: Rational | LargeDecimal): number {
  if (Array.isArray(x) && Array.isArray(y)) return order(x[0] * y[1], y[0] * x[1]);
  const sx = signOf(x);
  const sy = signOf(y);
  if (sx !== sy) return order(sx, sy);
  if (!Array.isArray(x) && !Array.isArray(y)) return sx * compareLargeMagnitudes(x as LargeDecimal, y as LargeDecimal);
  const flip = Array.isArray(x) ? -1 : 1;
  const [large, [n, d]] = (Array.isArray(x) ? [y, x] : [x, y]) as [LargeDecimal, Rational];
  const c = large.coefficient < 0n ? -large.coefficient : large.coefficient;
  const m = n < 0n ? -n : n;
  // 10**adjusted <= |large| < 10**(adjusted+1); 10**(dn-dd-1) < |n/d| < 10**(dn-dd+1).
  const adjusted = large.exponent + BigInt(digitCount(c) - 1);
  const magnitude = BigInt(digitCount(m) - digitCount(d));
  let cmp: number;
  if (adjusted >= magnitude + 1n) cmp = 1;
  else if (adjusted + 2n <= magnitude) cmp = -1;
  else if (large.exponent >= 0n) cmp = order(c * 10n ** large.exponent * d, m);
  else cmp = order(c * d, m * 10n ** -large.exponent);
  return sx * flip * cmp;
}

/** Orders |x| and |y| by their adjusted exponents, then their digits aligned. */
function compareLargeMagnitudes(x: LargeDecimal, y: LargeDecimal): number {
  const cx = (x.coefficient < 0n ? -x.coefficient : x.coefficient).toString();
  const cy = (y.coefficient < 0n ? -y.coefficient : y.coefficient).toString();
  const ax = x.exponent + BigInt(cx.length - 1);
  const ay = y.exponent + BigInt(cy.length - 1);
  if (ax !== ay) return order(ax, ay);
  const width = Math.max(cx.length, cy.length);
  return order(cx.padEnd(width, "0"), cy.padEnd(width, "0"));
}

function digitCount(n: bigint): number {
  return n.toString().length;
}
