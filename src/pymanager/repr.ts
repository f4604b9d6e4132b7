/**
 * Python's `repr()` and `str()` of the plain values a manager referent can hold, so a
 * Python client printing a proxy (`print(manager.get("a"))` asks the server for
 * `__repr__`) sees exactly what Python's own server would print.
 */

import { FixedOffset, pythonTypeOf, Timedelta } from "./pickle/python-types.js";
import { stdlibRepr } from "./stdlib-repr.js";

export { pyTypeOf } from "./shared/py-type.js";

/** Containers nested deeper than this print as `[...]`, as Python does for recursion. */
const MAX_REPR_DEPTH = 32;

/**
 * Python's `repr(value)`. JavaScript integers print as Python ints, other numbers as floats.
 * `py2`: as Python 2.7 prints the text it is answered (all-ASCII text as a `str`, other text
 * as an escaped `unicode`), so that a 2.7 client's `str()` of the proxy, which encodes as
 * ASCII, cannot fail.
 */
export function pyRepr(value: unknown, depth = 0, py2 = false): string {
  if (value === null || value === undefined) return "None";
  switch (typeof value) {
    case "boolean": return value ? "True" : "False";
    case "bigint": return value.toString();
    case "number": return Number.isSafeInteger(value) && !Object.is(value, -0) ? String(value) : floatRepr(value);
    case "string": return py2 ? textRepr2(value) : strRepr(value);
    case "function": return `<function ${value.name || "<lambda>"}>`;
    case "symbol": return value.toString();
    default: break;
  }
  if (depth >= MAX_REPR_DEPTH) return "[...]";
  const d = depth + 1;
  const stdlib = stdlibRepr(value as object, { item: (v) => pyRepr(v, d, py2), float: floatRepr, timezone: timezoneRepr });
  if (stdlib !== undefined) return stdlib;
  const mark = pythonTypeOf(value);
  if (value instanceof Uint8Array) return mark === "bytearray" ? `bytearray(${bytesRepr(value)})` : bytesRepr(value);
  if (Array.isArray(value)) {
    const items = value.map((v) => pyRepr(v, d, py2));
    if (mark !== "tuple") return `[${items.join(", ")}]`;
    return items.length === 1 ? `(${items[0]},)` : `(${items.join(", ")})`;
  }
  if (value instanceof Map) return `{${[...value].map(([k, v]) => `${pyRepr(k, d, py2)}: ${pyRepr(v, d, py2)}`).join(", ")}}`;
  if (value instanceof Set) {
    // Python 2.7 prints set([1, 2]) and frozenset([1, 2]), empty ones too.
    if (py2) return `${mark === "frozenset" ? "frozenset" : "set"}([${[...value].map((v) => pyRepr(v, d, py2)).join(", ")}])`;
    const items = `{${[...value].map((v) => pyRepr(v, d, py2)).join(", ")}}`;
    if (mark === "frozenset") return value.size === 0 ? "frozenset()" : `frozenset(${items})`;
    return value.size === 0 ? "set()" : items;
  }
  if (value instanceof Date) return dateRepr(value);
  if (value instanceof Timedelta) return py2 ? timedeltaRepr2(value) : timedeltaRepr(value);
  if (value instanceof FixedOffset) return timezoneRepr(value);
  // A value that knows its Python repr (a range, an array).
  if (typeof (value as { reprPython?: unknown }).reprPython === "function") return (value as { reprPython(py2: boolean): string }).reprPython(py2);
  const proto = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) {
    return `{${Object.entries(value).map(([k, v]) => `${py2 ? textRepr2(k) : strRepr(k)}: ${pyRepr(v, d, py2)}`).join(", ")}}`;
  }
  return `<${(value as object).constructor?.name ?? "object"} object>`;
}

/** Python 3.7+'s repr of a datetime.date or datetime.datetime (see pickle/datetime.ts for the marks). */
function dateRepr(d: Date): string {
  const mark = pythonTypeOf(d);
  if (mark === "date") return `datetime.date(${d.getUTCFullYear()}, ${d.getUTCMonth() + 1}, ${d.getUTCDate()})`;
  const details = typeof mark === "object" && mark.kind === "datetime" ? mark : undefined;
  const tz = details === undefined ? UTC_REPR : details.utcOffset;
  const wall = tz === null || tz === UTC_REPR ? d : new Date(d.getTime() + Number((tz as FixedOffset).offset.totalMicroseconds() / 1000n));
  const ms = wall.getUTCMilliseconds();
  const micro = details !== undefined && Math.floor(details.microsecond / 1000) === ms ? details.microsecond : ms * 1000;
  const fields = [wall.getUTCFullYear(), wall.getUTCMonth() + 1, wall.getUTCDate(), wall.getUTCHours(), wall.getUTCMinutes(), wall.getUTCSeconds(), micro];
  // Python leaves out a zero microsecond, then a zero second too.
  if (fields[6] === 0) fields.pop();
  if (fields.length === 6 && fields[5] === 0) fields.pop();
  const zone = tz === null ? "" : `, tzinfo=${tz === UTC_REPR ? "datetime.timezone.utc" : timezoneRepr(tz as FixedOffset)}`;
  return `datetime.datetime(${fields.join(", ")}${zone})`;
}

const UTC_REPR = Symbol("utc");

function timedeltaRepr(t: Timedelta): string {
  const parts = [t.days ? `days=${t.days}` : "", t.seconds ? `seconds=${t.seconds}` : "", t.microseconds ? `microseconds=${t.microseconds}` : ""].filter(Boolean);
  return `datetime.timedelta(${parts.length === 0 ? "0" : parts.join(", ")})`;
}

/** Python 2.7 (and before 3.7) prints `datetime.timedelta(1, 2, 3)`, trailing zeros left out. */
function timedeltaRepr2(t: Timedelta): string {
  const fields = t.microseconds ? [t.days, t.seconds, t.microseconds] : t.seconds ? [t.days, t.seconds] : [t.days];
  return `datetime.timedelta(${fields.join(", ")})`;
}

function timezoneRepr(tz: FixedOffset): string {
  if (tz.name === undefined && tz.offset.totalMicroseconds() === 0n) return "datetime.timezone.utc";
  return `datetime.timezone(${timedeltaRepr(tz.offset)}${tz.name === undefined ? "" : `, ${strRepr(tz.name)}`})`;
}

/** Python's `str(value)`: the text itself for a str, repr for everything else. */
export function pyStr(value: unknown): string {
  return typeof value === "string" ? value : pyRepr(value);
}

/**
 * Python's float repr: the shortest round-tripping digits (as JavaScript's), positional for
 * 1e-4 <= |x| < 1e16, else scientific with a signed exponent of at least two digits; a
 * whole number keeps `.0`.
 */
export function floatRepr(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const abs = Math.abs(x);
  if (abs >= 1e-4 && abs < 1e16) {
    const text = positional(x);
    return text.includes(".") ? text : `${text}.0`;
  }
  const [mantissa, exponent] = x.toExponential().split("e");
  const sign = exponent[0] === "-" ? "-" : "+";
  const digits = exponent.replace(/^[+-]/, "").padStart(2, "0");
  return `${mantissa}e${sign}${digits}`;
}

/** `x` in positional notation with its shortest digits (JavaScript uses exponents from 1e21 and below 1e-6). */
function positional(x: number): string {
  const text = String(x);
  if (!text.includes("e")) return text;
  const [mantissa, exponent] = text.split("e");
  const exp = Number(exponent);
  const negative = mantissa.startsWith("-");
  const digits = mantissa.replace("-", "").replace(".", "");
  const point = mantissa.replace("-", "").indexOf(".");
  const intDigits = (point < 0 ? digits.length : point) + exp;
  let out: string;
  if (intDigits <= 0) out = `0.${"0".repeat(-intDigits)}${digits}`;
  else if (intDigits >= digits.length) out = digits + "0".repeat(intDigits - digits.length);
  else out = `${digits.slice(0, intDigits)}.${digits.slice(intDigits)}`;
  return negative ? `-${out}` : out;
}

// Characters str.isprintable() rejects: categories Cc, Cf, Cs, Co, Cn, Zl, Zp and Zs but the space.
const NON_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;

/** Python's str repr: single quotes unless the text has `'` and no `"`; escapes as unicode_repr. */
export function strRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    if (ch === quote || ch === "\\") out += `\\${ch}`;
    else if (ch === "\t") out += "\\t";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch !== " " && NON_PRINTABLE.test(ch)) out += escapeCode(ch.codePointAt(0)!);
    else out += ch;
  }
  return out + quote;
}

/**
 * Python 2.7's repr of a `unicode`: `u'...'`, every character past ASCII escaped, so a 2.7
 * client's `str()` of it (which encodes as ASCII) cannot fail.
 */
export function unicodeRepr2(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = `u${quote}`;
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === quote || ch === "\\") out += `\\${ch}`;
    else if (ch === "\t") out += "\\t";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (code < 0x20 || code >= 0x7f) out += escapeCode(code);
    else out += ch;
  }
  return out + quote;
}

/** Text answered to Python 2.7, as it prints there: all-ASCII as a `str`, other text as a `unicode`. */
function textRepr2(s: string): string {
  const repr = unicodeRepr2(s);
  return /[^\x00-\x7f]/.test(s) ? repr : repr.slice(1);
}

/** One character as Python's repr escapes it: `\\xNN`, `\\uNNNN` or `\\UNNNNNNNN`. */
export function escapeCode(code: number): string {
  if (code < 0x100) return `\\x${code.toString(16).padStart(2, "0")}`;
  if (code < 0x10000) return `\\u${code.toString(16).padStart(4, "0")}`;
  return `\\U${code.toString(16).padStart(8, "0")}`;
}

/** Python's bytes repr: `b'...'`, printable ASCII as is, the rest as \xNN. */
export function bytesRepr(b: Uint8Array): string {
  let hasSingle = false;
  let hasDouble = false;
  for (const c of b) {
    if (c === 0x27) hasSingle = true;
    else if (c === 0x22) hasDouble = true;
  }
  const quote = hasSingle && !hasDouble ? 0x22 : 0x27;
  let out = `b${String.fromCharCode(quote)}`;
  for (const c of b) {
    if (c === quote || c === 0x5c) out += `\\${String.fromCharCode(c)}`;
    else if (c === 0x09) out += "\\t";
    else if (c === 0x0a) out += "\\n";
    else if (c === 0x0d) out += "\\r";
    else if (c < 0x20 || c >= 0x7f) out += `\\x${c.toString(16).padStart(2, "0")}`;
    else out += String.fromCharCode(c);
  }
  return out + String.fromCharCode(quote);
}
