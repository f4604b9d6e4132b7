/**
 * The demo's key-value store, kept in process memory. It is a class of its own so the service
 * can later keep the same keys in a shared store (a NATS JetStream bucket) without changing
 * the methods it exposes.
 */
import { RpcError } from "../core/errors.js";
import { MAX_ENTRIES } from "./limits.js";

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

  /** Removes `key`; true when it was there. */
  delete(key: string): boolean {
    return this.#entries.delete(key);
  }

  /** Every key, sorted, so listings are stable whatever the order of writes. */
  keys(): string[] {
    return [...this.#entries.keys()].sort();
  }
}
