/**
 * The wire form of a Python type mark (core/python-types.ts), shared by MessagePack and
 * extended JSON: the marked value travels as `[name, value, ...details]` after its codec's tag
 * (MessagePack extension 10, JSON `{"$farcall:python": [...]}`), so a receiver gets the same
 * natural value (array, Map, Set, Uint8Array, Date) with the same mark.
 *
 *   mark          value       details
 *   ------------  ----------  ----------------------------------------------------------------
 *   "tuple"       array
 *   "deque"       array       maxlen: null or an integer >= 0 (at least the item count)
 *   "frozenset"   Set
 *   "OrderedDict" Map
 *   "Counter"     Map
 *   "bytearray"   Uint8Array
 *   "date"        Date
 *   "datetime"    Date        microsecond 0-999999, offset: null (naive) or
 *                             [days, seconds, microseconds, name?], within a day of UTC
 *
 * Anything else (an unknown name, a mark on the wrong kind of value, details out of range) is
 * refused naming the mark and what is wrong: a receiver never drops a mark silently, and a
 * sender never sends what a receiver would refuse.
 */
import { RpcError } from "../core/errors.js";
import { FixedOffset, markPython, type PythonTypeMark, Timedelta } from "../core/python-types.js";

/** What each mark goes on, by mark name: the class, and its name for messages. */
const KINDS: Readonly<Record<string, readonly [Function, string]>> = {
  tuple: [Array, "an array"],
  deque: [Array, "an array"],
  frozenset: [Set, "a Set"],
  OrderedDict: [Map, "a Map"],
  Counter: [Map, "a Map"],
  bytearray: [Uint8Array, "a Uint8Array"],
  date: [Date, "a valid Date"],
  datetime: [Date, "a valid Date"],
};

/** Python keeps a timezone's offset strictly within a day. */
const DAY_US = 86_400_000_000;

function isInt(v: unknown, min: number, max: number): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= min && v <= max;
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v !== "object") return typeof v === "string" ? JSON.stringify(v.slice(0, 40)) : String(v);
  return `a ${v.constructor?.name ?? "object"}`;
}

/** The mark's name and its details on the wire; throws `make(message)` for a mark no receiver would take. */
function wireOf(value: object, mark: PythonTypeMark, make: (message: string) => RpcError): [string, unknown[]] {
  const name = typeof mark === "string" ? mark : mark.kind;
  const details: unknown[] =
    typeof mark === "string" ? [] : mark.kind === "deque" ? [mark.maxlen] : [mark.microsecond, mark.utcOffset === null ? null : offsetToWire(mark.utcOffset)];
  check(name, value, details, make);
  return [name, details];
}

function offsetToWire(tz: FixedOffset): unknown[] {
  const { days, seconds, microseconds } = tz.offset;
  return tz.name === undefined ? [days, seconds, microseconds] : [days, seconds, microseconds, tz.name];
}

/** Throws `make(...)` naming what is wrong unless `value` and `details` fit mark `name`. */
function check(name: string, value: unknown, details: readonly unknown[], make: (message: string) => RpcError): void {
  const kind = Object.prototype.hasOwnProperty.call(KINDS, name) ? KINDS[name] : undefined;
  if (kind === undefined) throw make(`unknown Python type mark ${describe(name)} (known: ${Object.keys(KINDS).join(", ")})`);
  if (!(value instanceof kind[0]) || (value instanceof Date && Number.isNaN(value.getTime()))) throw make(`the Python type mark "${name}" goes on ${kind[1]}, not on ${describe(value)}`);
  const expected = name === "deque" ? 1 : name === "datetime" ? 2 : 0;
  if (details.length !== expected) throw make(`the Python type mark "${name}" carries ${expected} detail(s), got ${details.length}`);
  if (name === "deque") {
    const maxlen = details[0];
    if (maxlen !== null && !isInt(maxlen, 0, Number.MAX_SAFE_INTEGER)) throw make(`a deque's maxlen must be null or a non-negative integer, got ${describe(maxlen)}`);
    if (maxlen !== null && (value as unknown[]).length > maxlen) throw make(`a deque of maxlen ${maxlen} holds ${(value as unknown[]).length} items`);
  } else if (name === "datetime") {
    if (!isInt(details[0], 0, 999_999)) throw make(`a datetime's microsecond must be an integer from 0 to 999999, got ${describe(details[0])}`);
    const offset = details[1];
    if (offset !== null && !offsetFits(offset)) throw make(`a datetime's offset must be null or [days, seconds, microseconds, name?] within a day of UTC, got ${describe(offset)}`);
  }
}

function offsetFits(o: unknown): o is [number, number, number, string?] {
  if (!Array.isArray(o) || o.length < 3 || o.length > 4) return false;
  const [days, seconds, us, name] = o as unknown[];
  if (!isInt(days, -1, 0) || !isInt(seconds, 0, 86_399) || !isInt(us, 0, 999_999)) return false;
  if (o.length === 4 && typeof name !== "string") return false;
  const total = (days * 86_400 + seconds) * 1_000_000 + us;
  return total > -DAY_US && total < DAY_US;
}

/**
 * `[name, value, ...details]` for a marked value on its way out, `value` replaced by
 * `lowered` (the codec's own form of it); the caller wraps it in its codec's tag.
 * @throws RpcError INVALID_PARAMS for a mark that does not fit its value.
 */
export function markToWire(value: object, mark: PythonTypeMark, lowered: unknown): unknown[] {
  const [name, details] = wireOf(value, mark, (message) => new RpcError("INVALID_PARAMS", `value cannot be sent: ${message}`));
  return [name, lowered, ...details];
}

/**
 * The marked value a received `[name, value, ...details]` stands for (its value already
 * decoded), marked in place.
 * @throws RpcError PARSE_ERROR naming the mark and what is wrong with it.
 */
export function markFromWire(parts: unknown): object {
  const refuse = (message: string) => new RpcError("PARSE_ERROR", `malformed Python type mark: ${message}`);
  if (!Array.isArray(parts) || parts.length < 2) throw refuse(`expected [name, value, ...details], got ${describe(parts)}`);
  const [name, value, ...details] = parts as [unknown, unknown, ...unknown[]];
  if (typeof name !== "string") throw refuse(`the mark's name must be a string, got ${describe(name)}`);
  check(name, value, details, refuse);
  const target = value as object;
  if (name === "deque") return markPython(target, { kind: "deque", maxlen: details[0] as number | null });
  if (name === "datetime") {
    const offset = details[1] as [number, number, number, string?] | null;
    const utcOffset = offset === null ? null : new FixedOffset(new Timedelta(offset[0], offset[1], offset[2]), offset[3]);
    return markPython(target, { kind: "datetime", microsecond: details[0] as number, utcOffset });
  }
  return markPython(target, name as PythonTypeMark);
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/**
 * A marked date's or datetime's text as Python's `isoformat()` writes it, for plain JSON,
 * which has no date type: `2024-02-29` for a date; for a datetime its wall time with the
 * microseconds (when not zero) and the offset (`+05:30`; none for a naive one), where the ISO
 * text of the Date alone would call a naive time UTC and drop the microseconds. Undefined for
 * any other Date.
 */
export function isoformatOf(d: Date, mark: PythonTypeMark | undefined): string | undefined {
  if (mark === undefined || Number.isNaN(d.getTime())) return undefined;
  const day = (w: Date) => `${pad(w.getUTCFullYear(), 4)}-${pad(w.getUTCMonth() + 1)}-${pad(w.getUTCDate())}`;
  if (mark === "date") return day(d);
  if (typeof mark !== "object" || mark.kind !== "datetime") return undefined;
  const offsetUs = mark.utcOffset === null ? 0 : Number(mark.utcOffset.offset.totalMicroseconds());
  // As the pickle writer does: the mark's microseconds while the Date's milliseconds agree.
  const wall = new Date(d.getTime() + Math.trunc(offsetUs / 1000));
  const ms = wall.getUTCMilliseconds();
  const us = Math.floor(mark.microsecond / 1000) === ms ? mark.microsecond : ms * 1000;
  let text = `${day(wall)}T${pad(wall.getUTCHours())}:${pad(wall.getUTCMinutes())}:${pad(wall.getUTCSeconds())}${us === 0 ? "" : `.${pad(us, 6)}`}`;
  if (mark.utcOffset === null) return text;
  const abs = Math.abs(offsetUs);
  const [h, m, s, f] = [Math.floor(abs / 3_600_000_000), Math.floor(abs / 60_000_000) % 60, Math.floor(abs / 1_000_000) % 60, abs % 1_000_000];
  text += `${offsetUs < 0 ? "-" : "+"}${pad(h)}:${pad(m)}`;
  return s === 0 && f === 0 ? text : `${text}:${pad(s)}${f === 0 ? "" : `.${pad(f, 6)}`}`;
}
