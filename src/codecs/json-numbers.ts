/**
 * Numbers plain JSON cannot carry exactly, found with the place they sit so the error can
 * name it. JSON.parse turns a literal beyond the double range (`1e400`, a million digits) into
 * ±Infinity, which plain JSON cannot even write back (JSON.stringify would answer null): such
 * a document is refused rather than silently changed. So is a non-zero literal too small for
 * a double (`1e-400`), which JSON.parse turns into 0. Likewise NaN and ±Infinity in a value
 * to encode as plain JSON.
 */
import { RpcError } from "../core/errors.js";

/**
 * A literal that may overflow or underflow a double: an exponent of three or more digits, or
 * a run of more than 308 digits. Matches inside strings too; those cost one walk that finds
 * nothing.
 */
const MAY_OVERFLOW = /[eE][+-]?\d{3}|\d{309}/;

/** Where `value` first holds a non-finite number, as a path like `params[0].x`, or undefined. */
export function findNonFinite(value: unknown, path = "", depth = 0): string | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? undefined : path || "the document";
  // The codecs bound nesting before this runs; the bound here only keeps a cyclic value finite.
  if (typeof value !== "object" || value === null || depth > 1000) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const at = findNonFinite(value[i], `${path}[${i}]`, depth + 1);
      if (at !== undefined) return at;
    }
    return undefined;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return undefined;
  for (const key of Object.keys(value)) {
    const at = findNonFinite((value as Record<string, unknown>)[key], /^[A-Za-z_$][\w$]*$/.test(key) ? (path ? `${path}.${key}` : key) : `${path}[${JSON.stringify(key)}]`, depth + 1);
    if (at !== undefined) return at;
  }
  return undefined;
}

/**
 * Throws PARSE_ERROR when the parsed document `doc` (from `text`) holds a number literal that
 * overflowed to ±Infinity, naming where it sits.
 */
export function checkParsedNumbers(text: string, doc: unknown): void {
  if (!MAY_OVERFLOW.test(text)) return;
  const at = findNonFinite(doc);
  if (at !== undefined) {
    throw new RpcError("PARSE_ERROR", `invalid JSON: the number at ${at} is outside the double range (±1.8e308); send a string for such values`);
  }
  const under = findUnderflow(text);
  if (under !== undefined) {
    throw new RpcError("PARSE_ERROR", `invalid JSON: the number ${under.literal.length > 40 ? `${under.literal.slice(0, 37)}...` : under.literal} at character ${under.offset} is not zero but too small for a double (under ±5e-324); send a string for such values`);
  }
}

const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/**
 * The first number literal outside strings that is not zero but parses as 0, with its
 * offset: the parsed document cannot tell it from a literal 0, so the text is scanned.
 */
function findUnderflow(text: string): { literal: string; offset: number } | undefined {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      // Skip the string, escapes included; the document already parsed, so it is well formed.
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      NUMBER.lastIndex = i;
      const literal = NUMBER.exec(text)?.[0] ?? text[i]!;
      const mantissa = literal.split(/[eE]/)[0]!;
      if (Number(literal) === 0 && /[1-9]/.test(mantissa)) return { literal, offset: i };
      i += literal.length - 1;
    }
  }
  return undefined;
}
