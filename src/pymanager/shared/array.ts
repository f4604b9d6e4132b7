/**
 * Python's `array.array` as SyncManager's `m.Array(typecode, sequence)` serves it: a fixed
 * number of items of one C type, read and written by index. Every stored item is checked
 * against its typecode first (Python's OverflowError for an int out of the type's range,
 * TypeError for a value of the wrong kind), so what is read back is what a C array holds:
 * an `f` item is rounded to single precision.
 */
import { RpcError } from "../../core/errors.js";
import { MAX_SHARED_ITEMS, tooManyItems } from "./waiters.js";

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

/** The typecodes served. */
export const ARRAY_TYPECODES = [...INT_TYPES.keys(), "f", "d"].join(", ");

export class SharedArray {
  readonly #items: (number | bigint)[];

  constructor(readonly typecode: string, items: readonly unknown[]) {
    if (!INT_TYPES.has(typecode) && typecode !== "f" && typecode !== "d") {
      throw new RpcError("ValueError", `bad typecode ${JSON.stringify(typecode)} (must be ${ARRAY_TYPECODES}; 'u' is not served)`);
    }
    if (items.length > MAX_SHARED_ITEMS) throw tooManyItems("the array", items.length);
    this.#items = items.map((item) => this.#checked(item));
  }

  /** True for `f` and `d`, whose items Python reads as floats. */
  get isFloat(): boolean {
    return !INT_TYPES.has(this.typecode);
  }

  length(): number {
    return this.#items.length;
  }

  /** The item at `index` (negative from the end). @throws RpcError IndexError out of range. */
  at(index: number): number | bigint {
    return this.#items[this.#position(index)]!;
  }

  /** Stores `value` at `index` after checking it against the typecode. */
  set(index: number, value: unknown): void {
    const at = this.#position(index);
    this.#items[at] = this.#checked(value);
  }

  toArray(): (number | bigint)[] {
    return [...this.#items];
  }

  #position(index: number): number {
    const at = index < 0 ? index + this.#items.length : index;
    if (!(at >= 0 && at < this.#items.length)) throw new RpcError("IndexError", "array index out of range");
    return at;
  }

  #checked(value: unknown): number | bigint {
    const ints = INT_TYPES.get(this.typecode);
    if (ints === undefined) {
      if (typeof value === "bigint") return this.typecode === "f" ? Math.fround(Number(value)) : Number(value);
      if (typeof value !== "number" && typeof value !== "boolean") throw new RpcError("TypeError", `must be real number, not ${typeName(value)}`);
      return this.typecode === "f" ? Math.fround(Number(value)) : Number(value);
    }
    if (typeof value === "number" && !Number.isInteger(value)) throw new RpcError("TypeError", "integer argument expected, got float");
    if (typeof value !== "number" && typeof value !== "bigint" && typeof value !== "boolean") throw new RpcError("TypeError", `an integer is required (got type ${typeName(value)})`);
    const n = BigInt(value);
    const [name, min, max] = ints;
    if (n < min) throw new RpcError("OverflowError", `${name} is less than minimum`);
    if (n > max) throw new RpcError("OverflowError", `${name} is greater than maximum`);
    return Number.isSafeInteger(Number(n)) ? Number(n) : n;
  }
}

function typeName(value: unknown): string {
  if (value === null || value === undefined) return "NoneType";
  if (typeof value === "string") return "str";
  if (Array.isArray(value)) return "list";
  return typeof value;
}
