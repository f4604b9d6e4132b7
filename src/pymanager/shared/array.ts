/**
 * Python's `array.array` as SyncManager's `m.Array(typecode, sequence)` serves it: a fixed
 * number of items of one C type, read and written by index. Every stored item is checked
 * against its typecode first (Python's OverflowError for an int out of the type's range,
 * TypeError for a value of the wrong kind), so what is read back is what a C array holds:
 * an `f` item is rounded to single precision. A `u` or `w` array holds one-character strings;
 * Python 2.7's `c` array holds bytes, each a one-character string below U+0100 (its byte value).
 */
import { RpcError } from "../../core/errors.js";
import { isByteChar, isCharacter, isTextTypecode } from "../array-value.js";
import { pyTypeOf } from "../repr.js";
import { MAX_SHARED_ITEMS, tooManyItems } from "./waiters.js";
import { SharedObject } from "./shared-object.js";

/** An item: an int (bigint past 2^53), a float, or a one-character string. */
export type ArrayItem = number | bigint | string;

const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;
const ULONG_MAX = 2n ** 64n - 1n;
const TOO_LARGE_LONG = "Python int too large to convert to C long";
const TOO_LARGE_ULONG = "Python int too large to convert to C unsigned long";
const NEGATIVE_UINT = "can't convert negative value to unsigned int";

type CRange = readonly [name: string, min: bigint, max: bigint];
const SHORT: CRange = ["signed short integer", -(2n ** 15n), 2n ** 15n - 1n];
const INT: CRange = ["signed integer", -(2n ** 31n), 2n ** 31n - 1n];

/**
 * A type converted through C long, then through the C types arraymodule.c parses it as, in
 * order (a `b` item is parsed as a short, then checked as a char): the first that fails names it.
 */
function bounded(min: bigint, max: bigint, steps: readonly CRange[]): readonly [bigint, bigint, (n: bigint) => string] {
  return [min, max, (n) => {
    if (n < LONG_MIN || n > LONG_MAX) return TOO_LARGE_LONG;
    const [name, lo] = steps.find(([, low, high]) => n < low || n > high) ?? steps[steps.length - 1]!;
    return `${name} is ${n < lo ? "less than minimum" : "greater than maximum"}`;
  }];
}

/**
 * The integer typecodes with their range and Python 3's OverflowError for a value outside it,
 * each in the words its C conversion uses (a value past C long fails in that conversion first,
 * before the type's own bounds are checked); `f` and `d` are floats.
 */
const INT_TYPES: ReadonlyMap<string, readonly [bigint, bigint, (n: bigint) => string]> = new Map([
  ["b", bounded(-(2n ** 7n), 2n ** 7n - 1n, [SHORT, ["signed char", -(2n ** 7n), 2n ** 7n - 1n]])],
  ["B", bounded(0n, 2n ** 8n - 1n, [["unsigned byte integer", 0n, 2n ** 8n - 1n]])],
  ["h", bounded(-(2n ** 15n), 2n ** 15n - 1n, [SHORT])],
  ["H", bounded(0n, 2n ** 16n - 1n, [INT, ["unsigned short", 0n, 2n ** 16n - 1n]])],
  ["i", bounded(-(2n ** 31n), 2n ** 31n - 1n, [INT])],
  ["I", [0n, 2n ** 32n - 1n, (n) => (n < 0n ? NEGATIVE_UINT : n > ULONG_MAX ? TOO_LARGE_ULONG : "unsigned int is greater than maximum")]],
  ["l", [LONG_MIN, LONG_MAX, () => TOO_LARGE_LONG]],
  ["L", [0n, ULONG_MAX, (n) => (n < 0n ? NEGATIVE_UINT : TOO_LARGE_ULONG)]],
  ["q", [LONG_MIN, LONG_MAX, () => "int too big to convert"]],
  ["Q", [0n, ULONG_MAX, (n) => (n < 0n ? "can't convert negative int to unsigned" : "int too big to convert")]],
]);

/** Python 3.13's typecodes, in its order (`w` is new in 3.13). */
export const ARRAY_TYPECODES = ["b", "B", "u", "w", "h", "H", "i", "I", "l", "L", "q", "Q", "f", "d"];
/** The typecodes served: Python 3.13's and 2.7's `c` (one byte, a native str item). */
const SERVED_TYPECODES = ["c", ...ARRAY_TYPECODES];

export class SharedArray extends SharedObject {
  readonly #items: ArrayItem[];

  constructor(readonly typecode: string, items: readonly unknown[]) {
    super();
    if (!SERVED_TYPECODES.includes(typecode)) {
      throw new RpcError("ValueError", `bad typecode (must be ${SERVED_TYPECODES.slice(0, -1).join(", ")} or d)`);
    }
    if (items.length > MAX_SHARED_ITEMS) throw tooManyItems("the array", items.length);
    this.#items = items.map((item) => this.#checked(item));
  }

  /** True for `f` and `d`, whose items Python reads as floats. */
  get isFloat(): boolean {
    return this.typecode === "f" || this.typecode === "d";
  }

  /** True for `u` and `w`, whose items are one-character strings. */
  get isText(): boolean {
    return isTextTypecode(this.typecode);
  }

  length(): number {
    return this.#items.length;
  }

  /** The item at `index` (negative from the end). @throws RpcError IndexError out of range. */
  at(index: number): ArrayItem {
    return this.#items[this.#position(index)]!;
  }

  /** Stores `value` at `index` after checking it against the typecode. */
  set(index: number, value: unknown): void {
    const at = this.#position(index);
    this.#items[at] = this.#checked(value);
  }

  toArray(): ArrayItem[] {
    return [...this.#items];
  }

  /**
   * Replaces `deleteCount` items from `start` by `items`, each checked first (a plain slice
   * assignment, which may change the length, as `array.array`'s does).
   */
  splice(start: number, deleteCount: number, ...items: unknown[]): void {
    const size = this.#items.length - deleteCount + items.length;
    if (size > MAX_SHARED_ITEMS) throw tooManyItems("the array", size);
    this.#items.splice(start, deleteCount, ...items.map((item) => this.#checked(item)));
  }

  #position(index: number): number {
    const at = index < 0 ? index + this.#items.length : index;
    if (!(at >= 0 && at < this.#items.length)) throw new RpcError("IndexError", "array index out of range");
    return at;
  }

  #checked(value: unknown): ArrayItem {
    if (this.typecode === "c") {
      if (!isByteChar(value)) throw new RpcError("TypeError", "array item must be char");
      return value;
    }
    if (this.isText) {
      if (!isCharacter(value)) throw new RpcError("TypeError", "array item must be unicode character");
      return value;
    }
    const ints = INT_TYPES.get(this.typecode);
    if (ints === undefined) {
      if (typeof value === "bigint") return this.typecode === "f" ? Math.fround(Number(value)) : Number(value);
      if (typeof value !== "number" && typeof value !== "boolean") throw new RpcError("TypeError", `must be real number, not ${pyTypeOf(value)}`);
      return this.typecode === "f" ? Math.fround(Number(value)) : Number(value);
    }
    if (typeof value === "number" && !Number.isInteger(value)) throw new RpcError("TypeError", "integer argument expected, got float");
    if (typeof value !== "number" && typeof value !== "bigint" && typeof value !== "boolean") throw new RpcError("TypeError", `an integer is required (got type ${pyTypeOf(value)})`);
    const n = BigInt(value);
    const [min, max, overflow] = ints;
    if (n < min || n > max) throw new RpcError("OverflowError", overflow(n));
    return Number.isSafeInteger(Number(n)) ? Number(n) : n;
  }
}
