/**
 * The demo's key-value store, kept in process memory. It is a class of its own so the service
 * can later keep the same keys in a shared store (a NATS JetStream bucket) without changing
 * the methods it exposes.
 */
import { RpcError } from "../core/errors.js";
import { MAX_ENTRIES } from "./limits.js";
import { describe } from "./validate.js";

/** Keys and values in a Map; keys are listed sorted. Arguments are checked by the service. */
export class MemoryKeyValueStore {
  readonly #entries = new Map<string, unknown>();

  /** The value stored under `key`, or undefined. */
  get(key: string): unknown {
    return this.#entries.get(key);
  }

  /**
   * Stores `value` under `key`, replacing any earlier value.
   * @throws RpcError RESOURCE_EXHAUSTED when `key` is new and the store is full.
   */
  put(key: string, value: unknown): void {
    if (this.#entries.size >= MAX_ENTRIES && !this.#entries.has(key)) {
      throw new RpcError("RESOURCE_EXHAUSTED", `the store holds ${this.#entries.size} keys, the most it keeps is ${MAX_ENTRIES}`);
    }
    this.#entries.set(key, value);
  }

  /**
   * Adds 1 to the integer under `key` (a missing key counts from 0) and returns the new value,
   * in one synchronous run, so concurrent callers never lose an increment.
   * @throws RpcError INVALID_PARAMS when the value is not a safe integer or would leave that
   *   range; RESOURCE_EXHAUSTED when `key` is new and the store is full.
   */
  increment(key: string): number {
    const next = nextCount(key, this.#entries.get(key));
    this.put(key, next);
    return next;
  }

  /** Removes `key`; true when it was there. */
  delete(key: string): boolean {
    return this.#entries.delete(key);
  }

  /** Every key, sorted, so listings are stable whatever the order of writes. */
  keys(): string[] {
    return [...this.#entries.keys()].sort();
  }
}

/**
 * The value after `current` (what `key` holds, undefined when missing) is incremented.
 * @throws RpcError INVALID_PARAMS when `current` is not a safe integer or the result would
 *   leave the safe-integer range, where additions stop being exact.
 */
export function nextCount(key: string, current: unknown): number {
  if (current === undefined) return 1;
  if (typeof current !== "number" || !Number.isSafeInteger(current)) {
    throw new RpcError("INVALID_PARAMS", `inc(${JSON.stringify(key)}): the key holds ${describe(current)}, not an integer`);
  }
  if (current >= Number.MAX_SAFE_INTEGER) throw new RpcError("INVALID_PARAMS", `inc(${JSON.stringify(key)}): ${current} + 1 is past the safe-integer range`);
  return current + 1;
}
