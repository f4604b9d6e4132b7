/**
 * Python types that JavaScript values cannot tell apart on their own, kept as a mark on the
 * natural JavaScript value so that a value read from a pickle is written back with the type
 * it came with: a tuple is an array marked "tuple" (a list is a plain array), a frozenset a
 * Set marked "frozenset", a bytearray a Uint8Array marked "bytearray", an `OrderedDict` or
 * `Counter` a Map so marked, a `deque` an array marked with its maxlen, a `datetime.date` a
 * Date (UTC midnight) marked "date", a `datetime.datetime` a Date marked with its
 * microseconds and its UTC offset (or none, for a naive one, whose wall time the Date holds
 * as UTC).
 *
 * The mark is a non-enumerable property under a `Symbol.for` key: code that does not know
 * of it sees an ordinary array, Set, Uint8Array or Date, and copies (`[...t]`, `new
 * Set(s)`) drop it, as they become the plain type. In the core because farcall's own codecs
 * carry it too (codecs/python-mark.ts), and the pickle reads and writes it.
 */

/** Where the mark lives on a value. */
export const PYTHON_TYPE: unique symbol = Symbol.for("farcall.pythonType") as never;

/** The marks, with what a datetime's carries beyond its Date. */
export type PythonTypeMark =
  | "tuple"
  | "frozenset"
  | "bytearray"
  | "date"
  | "OrderedDict"
  | "Counter"
  | { readonly kind: "datetime"; readonly microsecond: number; readonly utcOffset: FixedOffset | null }
  | { readonly kind: "deque"; readonly maxlen: number | null };

/**
 * Whether any value in this process was ever marked: until one is, the codecs skip looking
 * for marks, so a program that never meets a Python type pays nothing for them. Kept under a
 * `Symbol.for` key on the global object, like the mark itself, so that a value marked by
 * another copy of farcall in the process is still seen.
 */
export const PYTHON_MARKS: { made: boolean } = ((globalThis as { [key: symbol]: { made: boolean } })[Symbol.for("farcall.pythonMarks")] ??= { made: false });

/** Marks `value` as the Python type `mark` and returns it. */
export function markPython<T extends object>(value: T, mark: PythonTypeMark): T {
  PYTHON_MARKS.made = true;
  Object.defineProperty(value, PYTHON_TYPE, { value: mark, enumerable: false, configurable: true, writable: true });
  return value;
}

/** The Python type mark on `value`, if any. */
export function pythonTypeOf(value: unknown): PythonTypeMark | undefined {
  return typeof value === "object" && value !== null ? (value as { [PYTHON_TYPE]?: PythonTypeMark })[PYTHON_TYPE] : undefined;
}

/**
 * A Python tuple: an array marked so that pickle writes it back as a tuple.
 * @example put("point", tuple(1, 2))   // Python reads (1, 2)
 */
export function tuple<T extends unknown[]>(...items: T): T {
  return markPython(items, "tuple");
}

/** True for an array marked as a tuple. */
export function isTuple(value: unknown): value is unknown[] {
  return Array.isArray(value) && pythonTypeOf(value) === "tuple";
}

/** `datetime.timedelta(days, seconds, microseconds)`, normalised as Python keeps it. */
export class Timedelta {
  constructor(readonly days: number, readonly seconds: number, readonly microseconds: number) {}
  /** The whole duration in microseconds. */
  totalMicroseconds(): bigint {
    return (BigInt(this.days) * 86_400n + BigInt(this.seconds)) * 1_000_000n + BigInt(this.microseconds);
  }
}

/** `datetime.timezone(offset, name?)`: a fixed UTC offset, the only tzinfo a pickle may carry here. */
export class FixedOffset {
  constructor(readonly offset: Timedelta, readonly name?: string) {}
}

/** The deque mark of `value`, if it is a marked array. */
export function dequeOf(value: unknown): { readonly kind: "deque"; readonly maxlen: number | null } | undefined {
  const mark = Array.isArray(value) ? pythonTypeOf(value) : undefined;
  return typeof mark === "object" && mark.kind === "deque" ? mark : undefined;
}
