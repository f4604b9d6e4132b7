/**
 * A `decimal.Decimal`'s text read as CPython reads it: its sign, coefficient digits and
 * exponent (a bigint, since `Decimal('1e999999999')` is legal), and written back as CPython's
 * `str()` writes it, the to-scientific-string rules of the General Decimal Arithmetic
 * specification (`Decimal('1e3')` prints `1E+3`, `Decimal('.5')` `0.5`). Nothing here expands
 * an exponent into digits: `1E+999999` stays a coefficient and an exponent.
 */

/** A finite Decimal: `(-1)**negative * digits * 10**exponent`; `digits` has no leading zeros ("0" for zero). */
export interface FiniteDecimal {
  readonly negative: boolean;
  readonly digits: string;
  readonly exponent: bigint;
}

/** Infinity, NaN or sNaN, with a NaN's diagnostic payload (digits, no leading zeros, "" for none). */
export interface SpecialDecimal {
  readonly negative: boolean;
  readonly special: "Infinity" | "NaN" | "sNaN";
  readonly payload: string;
}

/** Decimal's string syntax (Python's `Decimal(str)`, without underscores or blanks). */
const SYNTAX = /^([+-]?)(?:(?=\d|\.\d)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?|(inf(?:inity)?)|(s?nan)(\d*))$/i;

/** The parts of a Decimal's text, or undefined when it is not one. */
export function decimalParts(text: string): FiniteDecimal | SpecialDecimal | undefined {
  const m = SYNTAX.exec(text);
  if (m === null) return undefined;
  const negative = m[1] === "-";
  if (m[5] !== undefined) return { negative, special: "Infinity", payload: "" };
  if (m[6] !== undefined) return { negative, special: m[6].length === 4 ? "sNaN" : "NaN", payload: m[7]!.replace(/^0+/, "") };
  const whole = m[2] ?? "";
  const fraction = m[3] ?? "";
  const digits = `${whole}${fraction}`.replace(/^0+(?=\d)/, "");
  return { negative, digits, exponent: BigInt(m[4] ?? "0") - BigInt(fraction.length) };
}

/** CPython's `str(Decimal(text))`, for a text {@link decimalParts} accepts. */
export function decimalText(parts: FiniteDecimal | SpecialDecimal): string {
  const sign = parts.negative ? "-" : "";
  if ("special" in parts) return `${sign}${parts.special}${parts.payload}`;
  const { digits, exponent } = parts;
  const adjusted = exponent + BigInt(digits.length - 1);
  if (exponent <= 0n && adjusted >= -6n) {
    // Plain notation; here -exponent is at most the digits' count plus 6.
    if (exponent === 0n) return `${sign}${digits}`;
    const point = digits.length + Number(exponent);
    return point > 0 ? `${sign}${digits.slice(0, point)}.${digits.slice(point)}` : `${sign}0.${"0".repeat(-point)}${digits}`;
  }
  const rest = digits.length > 1 ? `.${digits.slice(1)}` : "";
  return `${sign}${digits[0]}${rest}E${adjusted >= 0n ? "+" : ""}${adjusted}`;
}

/**
 * A finite non-zero Decimal's value as `coefficient * 10**exponent` with no trailing zeros in
 * the coefficient: one form for every spelling of one value (`1E+3`, `10E+2`, `1000`).
 */
export function reducedDecimal(parts: FiniteDecimal): { coefficient: bigint; exponent: bigint } {
  const stripped = parts.digits.replace(/0+$/, "");
  const coefficient = BigInt(stripped);
  return { coefficient: parts.negative ? -coefficient : coefficient, exponent: parts.exponent + BigInt(parts.digits.length - stripped.length) };
}
