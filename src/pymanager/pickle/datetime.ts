/**
 * `datetime.datetime`, `datetime.date`, `datetime.timedelta` and `datetime.timezone` in
 * pickles, as CPython's C module reduces them: `datetime(state, tzinfo?)` where the state is
 * 10 bytes (year hi, year lo, month, day, hour, minute, second, microsecond in 3 bytes, big
 * endian; bit 7 of the month is `fold` from protocol 4), `date(state)` with 4 bytes,
 * `timedelta(days, seconds, microseconds)` and `timezone(timedelta, name?)`. Any other tzinfo
 * (a `zoneinfo.ZoneInfo`) is a global outside the allow-list and is refused by name.
 */
import { RpcError } from "../../core/errors.js";
import { FixedOffset, markPython, pythonTypeOf, Timedelta } from "./python-types.js";
import { PickleGlobal } from "./values.js";

function refuse(message: string): RpcError {
  return new RpcError("PARSE_ERROR", `pickle refused: ${message}`);
}

/** The state bytes: bytes from Python 3, a Latin-1 str from Python 2. */
function stateBytes(value: unknown, length: number, qualified: string): Uint8Array {
  let bytes: Uint8Array | undefined;
  if (value instanceof Uint8Array) bytes = value;
  else if (typeof value === "string" && /^[\0-\xff]*$/.test(value)) bytes = Uint8Array.from(value, (c) => c.charCodeAt(0));
  if (bytes === undefined || bytes.length !== length) throw refuse(`${qualified} is allowed only with a ${length}-byte state`);
  return bytes;
}

/** Python's datetime.date range: years 1 to 9999. */
function checkDate(year: number, month: number, day: number, qualified: string): void {
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > 31) throw refuse(`${qualified}: ${year}-${month}-${day} is not a date`);
}

/** `datetime.date(state)`: a Date at UTC midnight, marked "date". */
export function decodeDate(args: unknown[]): Date {
  if (args.length !== 1) throw refuse("datetime.date is allowed only with its 4-byte state");
  const b = stateBytes(args[0], 4, "datetime.date");
  const year = b[0]! * 256 + b[1]!;
  checkDate(year, b[2]!, b[3]!, "datetime.date");
  const d = new Date(0);
  d.setUTCFullYear(year, b[2]! - 1, b[3]!);
  return markPython(d, "date");
}

/** `datetime.datetime(state, tzinfo?)`: a Date of the instant (aware) or of the wall time read as UTC (naive). */
export function decodeDatetime(args: unknown[]): Date {
  if (args.length !== 1 && args.length !== 2) throw refuse("datetime.datetime is allowed only with its 10-byte state and a tzinfo");
  const b = stateBytes(args[0], 10, "datetime.datetime");
  const tz = args[1];
  if (tz !== undefined && tz !== null && !(tz instanceof FixedOffset)) throw refuse("datetime.datetime's tzinfo must be a datetime.timezone");
  const year = b[0]! * 256 + b[1]!;
  const month = b[2]! & 0x7f;
  checkDate(year, month, b[3]!, "datetime.datetime");
  const microsecond = (b[7]! << 16) | (b[8]! << 8) | b[9]!;
  if (b[4]! > 23 || b[5]! > 59 || b[6]! > 59 || microsecond > 999_999) throw refuse("datetime.datetime: a time field is out of range");
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, b[3]!);
  d.setUTCHours(b[4]!, b[5]!, b[6]!, Math.floor(microsecond / 1000));
  const utcOffset = tz instanceof FixedOffset ? tz : null;
  if (utcOffset !== null) d.setTime(d.getTime() - Number(utcOffset.offset.totalMicroseconds() / 1000n));
  return markPython(d, { kind: "datetime", microsecond, utcOffset });
}

/** `datetime.timedelta(days, seconds, microseconds)`, in Python's normalised ranges. */
export function decodeTimedelta(args: unknown[]): Timedelta {
  const [days, seconds, micro] = args;
  if (args.length !== 3 || ![days, seconds, micro].every((n) => typeof n === "number" && Number.isSafeInteger(n))) {
    throw refuse("datetime.timedelta is allowed only with (days, seconds, microseconds) integers");
  }
  if ((seconds as number) < 0 || (seconds as number) >= 86_400 || (micro as number) < 0 || (micro as number) >= 1_000_000 || Math.abs(days as number) > 999_999_999) {
    throw refuse("datetime.timedelta: a field is out of range");
  }
  return new Timedelta(days as number, seconds as number, micro as number);
}

/** `datetime.timezone(offset, name?)`, whose offset Python keeps strictly within a day. */
export function decodeTimezone(args: unknown[]): FixedOffset {
  const [offset, name] = args;
  if (!(offset instanceof Timedelta) || args.length > 2 || (args.length === 2 && typeof name !== "string")) {
    throw refuse("datetime.timezone is allowed only with (timedelta, name?)");
  }
  const us = offset.totalMicroseconds();
  if (us <= -86_400_000_000n || us >= 86_400_000_000n) throw refuse("datetime.timezone: the offset is not within a day");
  return new FixedOffset(offset, name as string | undefined);
}

const UTC = new FixedOffset(new Timedelta(0, 0, 0));

/** A Timedelta as the `datetime.timedelta(...)` call that rebuilds it. */
export function timedeltaGlobal(t: Timedelta): PickleGlobal {
  return new PickleGlobal("datetime", "timedelta", { args: [t.days, t.seconds, t.microseconds] });
}

/** A FixedOffset as the `datetime.timezone(...)` call that rebuilds it. */
export function timezoneGlobal(tz: FixedOffset): PickleGlobal {
  return new PickleGlobal("datetime", "timezone", { args: tz.name === undefined ? [timedeltaGlobal(tz.offset)] : [timedeltaGlobal(tz.offset), tz.name] });
}

/**
 * A Date as the Python value it stands for: marked "date", a `datetime.date`; marked with a
 * datetime's details, that datetime (microseconds kept while the Date's milliseconds still
 * agree with them); unmarked, an aware `datetime.datetime` in UTC, to the millisecond. At
 * protocol 2 (a Python 2.7 peer, which has no `datetime.timezone`) an aware datetime is
 * written as the naive datetime of its UTC time.
 * @throws RpcError INVALID_PARAMS for an invalid Date or a year outside Python's 1 to 9999.
 */
export function dateGlobal(d: Date, protocol: number): PickleGlobal {
  const time = d.getTime();
  if (Number.isNaN(time)) throw new RpcError("INVALID_PARAMS", "value cannot be pickled: an invalid Date has no Python form");
  const mark = pythonTypeOf(d);
  if (mark === "date") {
    const year = d.getUTCFullYear();
    checkYear(year);
    return new PickleGlobal("datetime", "date", { args: [Uint8Array.of(year >> 8, year & 0xff, d.getUTCMonth() + 1, d.getUTCDate())] });
  }
  const details = typeof mark === "object" && mark.kind === "datetime" ? mark : undefined;
  const tz = protocol === 2 ? null : details === undefined ? UTC : details.utcOffset;
  const offset = details?.utcOffset;
  // A naive datetime's Date holds its wall time; at protocol 2 an aware one is written at UTC.
  const wall = new Date(tz === null || offset === undefined || offset === null ? time : time + Number(offset.offset.totalMicroseconds() / 1000n));
  const ms = wall.getUTCMilliseconds();
  const microsecond = details !== undefined && Math.floor(details.microsecond / 1000) === ms ? details.microsecond : ms * 1000;
  const year = wall.getUTCFullYear();
  checkYear(year);
  const state = Uint8Array.of(year >> 8, year & 0xff, wall.getUTCMonth() + 1, wall.getUTCDate(), wall.getUTCHours(), wall.getUTCMinutes(), wall.getUTCSeconds(), microsecond >> 16, (microsecond >> 8) & 0xff, microsecond & 0xff);
  return new PickleGlobal("datetime", "datetime", { args: tz === null ? [state] : [state, timezoneGlobal(tz)] });
}

function checkYear(year: number): void {
  if (year < 1 || year > 9999) throw new RpcError("INVALID_PARAMS", `value cannot be pickled: year ${year} is outside Python's datetime range 1 to 9999`);
}
