/**
 * Python's repr of the standard library values a shared object may hold (see
 * pickle/stdlib-values.ts): `Decimal('1.5')`, `Fraction(1, 3)`, `(1+2j)`, `datetime.time(1,
 * 2)`, `UUID('...')`, `deque([1, 2])`, `Counter({'a': 2})` and `OrderedDict`, whose repr
 * changed in Python 3.12: `OrderedDict([('a', 1)])` before, `OrderedDict({'a': 1})` since.
 * Called by repr.ts with its own printers, so this module imports none of it.
 */
import { dequeOf, type FixedOffset, pythonTypeOf } from "./pickle/python-types.js";
import { PyComplex, PyDecimal, PyFraction, PyTime, PyUUID } from "./shared/py-values.js";

/** repr.ts's printers. */
export interface Printers {
  item(value: unknown): string;
  float(x: number): string;
  timezone(tz: FixedOffset): string;
}

let orderedDictAsList = false;

/**
 * Runs `print` with OrderedDict printed for a client before Python 3.12 (`before312`) or
 * since. The handshake tells 2.7 and 3.8-3.11 (bare HMAC-MD5) from 3.12+ (`{sha256}`).
 */
export function inReprEra<T>(before312: boolean, print: () => T): T {
  const was = orderedDictAsList;
  orderedDictAsList = before312;
  try {
    return print();
  } finally {
    orderedDictAsList = was;
  }
}

/** The repr of `value` if it is one of these values, else undefined. */
export function stdlibRepr(value: object, p: Printers): string | undefined {
  if (value instanceof PyDecimal) return `Decimal('${value.text}')`;
  if (value instanceof PyFraction) return `Fraction(${value.numerator}, ${value.denominator})`;
  if (value instanceof PyComplex) return complexRepr(value, p);
  if (value instanceof PyTime) return timeRepr(value, p);
  if (value instanceof PyUUID) return `UUID('${value.toString()}')`;
  const deque = dequeOf(value);
  if (deque !== undefined) {
    const items = `[${(value as unknown[]).map((v) => p.item(v)).join(", ")}]`;
    return deque.maxlen === null ? `deque(${items})` : `deque(${items}, maxlen=${deque.maxlen})`;
  }
  const mark = pythonTypeOf(value);
  if (mark === "OrderedDict") return orderedDictRepr(value as Map<unknown, unknown>, p);
  if (mark === "Counter") return counterRepr(value as Map<unknown, unknown>, p);
  return undefined;
}

function dictBody(entries: Iterable<[unknown, unknown]>, p: Printers): string {
  return `{${[...entries].map(([k, v]) => `${p.item(k)}: ${p.item(v)}`).join(", ")}}`;
}

function orderedDictRepr(map: Map<unknown, unknown>, p: Printers): string {
  if (map.size === 0) return "OrderedDict()";
  if (!orderedDictAsList) return `OrderedDict(${dictBody(map, p)})`;
  return `OrderedDict([${[...map].map(([k, v]) => `(${p.item(k)}, ${p.item(v)})`).join(", ")}])`;
}

/** Most common first (a stable sort, as most_common's); insertion order when counts are not all numbers, as Python falls back. */
function counterRepr(map: Map<unknown, unknown>, p: Printers): string {
  if (map.size === 0) return "Counter()";
  let entries = [...map];
  if (entries.every(([, n]) => typeof n === "number" || typeof n === "bigint")) {
    entries = entries.sort(([, a], [, b]) => ((b as number) > (a as number) ? 1 : (b as number) < (a as number) ? -1 : 0));
  }
  return `Counter(${dictBody(entries, p)})`;
}

/** complex_repr: `2j` for a zero real part of positive sign, else `(re+imj)`; parts without a trailing `.0`. */
function complexRepr(c: PyComplex, p: Printers): string {
  const part = (x: number) => p.float(x).replace(/\.0$/, "");
  const im = `${part(c.imag)}j`;
  if (c.real === 0 && !Object.is(c.real, -0)) return im;
  const sign = c.imag < 0 || Object.is(c.imag, -0) ? "" : "+";
  return `(${part(c.real)}${sign}${im})`;
}

function timeRepr(t: PyTime, p: Printers): string {
  const tail = t.microsecond !== 0 ? `, ${t.second}, ${t.microsecond}` : t.second !== 0 ? `, ${t.second}` : "";
  const tz = t.tzinfo === null ? "" : `, tzinfo=${p.timezone(t.tzinfo)}`;
  return `datetime.time(${t.hour}, ${t.minute}${tail}${tz}${t.fold ? ", fold=1" : ""})`;
}
