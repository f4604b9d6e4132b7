/**
 * Python's `array.array` as SyncManager's `m.Array(typecode, sequence)` serves it: a fixed
 * number of items of one C type, read and written by index. Every stored item is checked
 * against its typecode first (Python's OverflowError for an int out of the type's range,
 * TypeError for a value of the wrong kind), so what is read back is what a C array holds:
 * an `f` item is rounded to single precision. A `u` or `w` array holds one-character strings.
 */
import { RpcError } from "../../core/errors.js";
import { isCharacter, isTextTypecode } from "../array-value.js";
import { pyTypeOf } from "../repr.js";
import { MAX_SHARED_ITEMS, tooManyItems } from "./waiters.js";
import { SharedObject } from "./shared-object.js";

/** An item: an int (bigint past 2^53), a float, or a one-character string. */
export type ArrayItem = number | bigint | string;

/** The integer typecodes with their C type's name and range; `f` and `d` are floats. */
const INT_TYPES: ReadonlyMap<string, readonly [string, bigint, bigint]> = new Map([
  ["b", ["signed char", -(2n ** 7n), 2n ** 7n - 1n]],
  ["B", ["unsigned byte", 0n, 2n ** 8n - 1n]],
  ["h", ["signed short integer", -(2n ** 15n), 2n ** 15n - 1n]],
  ["H", ["unsigned short", 0n, 2n ** 16n - 1n]],
  ["i", ["signed integer", -(2n ** 31n), 2n ** 31n - 1n]],
  ["I", ["unsigned int", 0n, 2n ** 32n - 1n]],
  ["l", ["signed long integer", -(2n ** 63n), 2n ** 63n - 1n]],
  ["L", ["unsigned long", 0n, 2n ** 64n - 1n]],
  ["q", ["signed long long", -(2n ** 63n), 2n ** 63n - 1n]],
  ["Q", ["unsigned long long", 0n, 2n ** 64n - 1n]],
]);

/** The typecodes served, in Python 3.13's order (`w` is new in 3.13; 2.7's `c` is not served). */
export const ARRAY_TYPECODES = ["b", "B", "u", "w", "h", "H", "i", "I", "l", "L", "q", "Q", "f", "d"];

export class SharedArray extends SharedObject {
  readonly #items: ArrayItem[];

  constructor(readonly typecode: string, items: readonly unknown[]) {
    super();
    if (!ARRAY_TYPECODES.includes(typecode)) {
      throw new RpcError("ValueError", `bad typecode (must be ${ARRAY_TYPECODES.slice(0, -1).join(", ")} or d)`);
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
    const [name, min, max] = ints;
    if (n < min) throw new RpcError("OverflowError", `${name} is less than minimum`);
    if (n > max) throw new RpcError("OverflowError", `${name} is greater than maximum`);
    return Number.isSafeInteger(Number(n)) ? Number(n) : n;
  }
}
