/**
 * The demo's named counters, kept in process memory, behind a class of their own so they can
 * later live in a shared store (a NATS JetStream bucket, with revision-checked updates).
 *
 * Every update is atomic however many callers race: `add` reads, computes and writes in one
 * synchronous run, and JavaScript never interleaves another call inside a synchronous run.
 * Five clients doing 1000 increments each always end at 5000, as in the origin example.
 */
import { RpcError } from "../core/errors.js";
import { MAX_ENTRIES } from "./limits.js";

/** Integer counters by name in a Map. Arguments are checked by the service. */
export class MemoryCounters {
  readonly #values = new Map<string, number>();

  /** The value of counter `name`; a counter never written reads 0. */
  get(name: string): number {
    return this.#values.get(name) ?? 0;
  }

  /**
   * Adds `n` (a safe integer, possibly negative) to counter `name` and returns the new value.
   * @throws RpcError INVALID_PARAMS when the result would leave the safe-integer range, where
   *   additions stop being exact; RESOURCE_EXHAUSTED when `name` is new and the table is full.
   */
  add(name: string, n: number): number {
    const current = this.#values.get(name);
    if (current === undefined && this.#values.size >= MAX_ENTRIES) {
      throw new RpcError("RESOURCE_EXHAUSTED", `${this.#values.size} counters exist, the most kept is ${MAX_ENTRIES}`);
    }
    const next = (current ?? 0) + n;
    if (!Number.isSafeInteger(next)) {
      throw new RpcError("INVALID_PARAMS", `counter ${JSON.stringify(name)} would reach ${next}, past the safe-integer range`, { value: current ?? 0 });
    }
    this.#values.set(name, next);
    return next;
  }
}
