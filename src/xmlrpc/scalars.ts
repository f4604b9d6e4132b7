/**
 * XML-RPC's scalar types as text, both ways (http://xmlrpc.com/spec.md, plus the nil and i8
 * extensions). Writers follow the specification where it is exact; readers also take what
 * Python's xmlrpc.client writes (a double in exponent form, `inf`/`nan`) and the ISO 8601
 * variants other implementations send (dashes, fractional seconds, a zone).
 *
 * Dates: dateTime.iso8601 carries no zone. farcall writes UTC and reads a value without a
 * zone as UTC; a value with `Z` or an offset is read in that zone. The type has whole
 * seconds (Python cannot read fractions), so milliseconds are dropped when writing.
 */
import { RpcError } from "../core/errors.js";
import { fromBase64, isBase64 } from "../codecs/json-tags.js";

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** True for a number XML-RPC's `<int>` carries. */
export function isInt32(n: number): boolean {
  return Number.isInteger(n) && n >= INT32_MIN && n <= INT32_MAX;
}

/** True for a BigInt `<i8>` carries. */
export function isInt64(n: bigint): boolean {
  return n >= INT64_MIN && n <= INT64_MAX;
}

/**
 * A double as text in decimal-point notation, the only one the XML-RPC spec allows (never
 * `1e+21`): the shortest round-tripping digits, written out positionally, always with a
 * point; Python's spellings of the non-finite ones, which the spec has none for.
 */
export function formatDouble(n: number): string {
  if (Number.isNaN(n)) return "nan";
  if (!Number.isFinite(n)) return n > 0 ? "inf" : "-inf";
  const s = Object.is(n, -0) ? "-0" : String(n);
  const e = s.indexOf("e");
  if (e < 0) return s.includes(".") ? s : `${s}.0`;
  // Shortest digits and exponent, e.g. "-1.5e-7": place the point by hand.
  const negative = s.startsWith("-");
  const mantissa = s.slice(negative ? 1 : 0, e);
  const exponent = Number(s.slice(e + 1));
  const point = mantissa.indexOf(".");
  const digits = mantissa.replace(".", "");
  const intDigits = (point < 0 ? mantissa.length : point) + exponent;
  let out: string;
  if (intDigits <= 0) out = `0.${"0".repeat(-intDigits)}${digits}`;
  else if (intDigits >= digits.length) out = `${digits}${"0".repeat(intDigits - digits.length)}.0`;
  else out = `${digits.slice(0, intDigits)}.${digits.slice(intDigits)}`;
  return negative ? `-${out}` : out;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

/** A Date as `YYYYMMDDTHH:MM:SS` in UTC; INVALID_PARAMS for an invalid Date or a year outside 0-9999. */
export function formatDateTime(d: Date): string {
  const t = d.getTime();
  if (Number.isNaN(t)) throw new RpcError("INVALID_PARAMS", "XML-RPC cannot carry an invalid Date");
  const year = d.getUTCFullYear();
  if (year < 0 || year > 9999) throw new RpcError("INVALID_PARAMS", `XML-RPC's dateTime.iso8601 has four-digit years; cannot carry the year ${year}`);
  return `${pad(year, 4)}${pad(d.getUTCMonth() + 1, 2)}${pad(d.getUTCDate(), 2)}T${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}`;
}

function invalid(type: string, text: string): RpcError {
  const shown = text.length > 40 ? `${text.slice(0, 40)}...` : text;
  return new RpcError("INVALID_REQUEST", `<${type}> holds ${JSON.stringify(shown)}, which is not a valid ${type}`);
}

const INTEGER = /^[+-]?\d{1,20}$/;

/**
 * An integer tag's text (int, i4, i8, and Apache's i1, i2). Any 64-bit value is accepted
 * whatever the tag, since servers on 64-bit platforms send large values as `<int>`: a
 * number when it is a safe integer, else a BigInt.
 */
export function parseInteger(type: string, text: string): number | bigint {
  const s = text.trim();
  if (!INTEGER.test(s)) throw invalid(type, text);
  const n = Number(s);
  if (Number.isSafeInteger(n)) return n;
  const big = BigInt(s);
  if (!isInt64(big)) throw invalid(type, text);
  return big;
}

export function parseBoolean(text: string): boolean {
  const s = text.trim();
  if (s === "1") return true;
  if (s === "0") return false;
  throw invalid("boolean", text);
}

const DOUBLE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const NON_FINITE = /^([+-]?)(inf|infinity|nan)$/i;

export function parseDouble(text: string): number {
  const s = text.trim();
  if (DOUBLE.test(s)) return Number(s);
  const special = NON_FINITE.exec(s);
  if (!special) throw invalid("double", text);
  if (special[2]!.toLowerCase() === "nan") return NaN;
  return special[1] === "-" ? -Infinity : Infinity;
}

const DATE_TIME = /^(\d{4})-?(\d{2})-?(\d{2})T(\d{2}):?(\d{2}):?(\d{2})(?:[.,](\d{1,9}))?(Z|([+-])(\d{2}):?(\d{2}))?$/;

/** A dateTime.iso8601 text: UTC unless it names a zone (see the header). */
export function parseDateTime(text: string): Date {
  const m = DATE_TIME.exec(text.trim());
  if (!m) throw invalid("dateTime.iso8601", text);
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number, number];
  const ms = m[7] ? Math.floor(Number(`0.${m[7]}`) * 1000) : 0;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) throw invalid("dateTime.iso8601", text);
  const utc = new Date(0);
  utc.setUTCFullYear(year, month - 1, day);
  utc.setUTCHours(hour, minute, second, ms);
  if (utc.getUTCDate() !== day) throw invalid("dateTime.iso8601", text); // 30 February and friends
  const offsetMinutes = m[9] ? (m[9] === "-" ? -1 : 1) * (Number(m[10]) * 60 + Number(m[11])) : 0;
  return new Date(utc.getTime() - offsetMinutes * 60_000);
}

const WHITESPACE = /\s+/g;

/** base64 text, line breaks and all (Python wraps it at 76 characters). */
export function parseBase64(text: string): Uint8Array {
  const s = text.replace(WHITESPACE, "");
  if (!isBase64(s)) throw invalid("base64", text);
  return fromBase64(s, false);
}
