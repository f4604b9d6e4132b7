/**
 * Writes to the demo's JetStream key-value bucket that stay exact however many instances
 * write at once (compare-and-set on the entry's revision), and JetStream's failures as
 * farcall's codes.
 */
import type { KV, KvEntry } from "@nats-io/kv";
import { RpcError } from "../core/errors.js";

/**
 * Compare-and-set rounds one add may take before it gives up UNAVAILABLE. Each lost round
 * means another writer's add succeeded, so this bounds the wait under a storm of writers,
 * never correctness.
 */
export const MAX_CAS_ROUNDS = 200;

/** JetStream's "wrong last sequence" API error: the entry changed since it was read. */
const WRONG_LAST_SEQUENCE = 10071;

export function live(entry: KvEntry | null): entry is KvEntry {
  return entry !== null && entry.operation === "PUT";
}

/** A JetStream failure as an RpcError: a full bucket is RESOURCE_EXHAUSTED, anything else UNAVAILABLE. */
export function storeError(err: unknown, what: string): RpcError {
  if (RpcError.is(err)) return err;
  const message = err instanceof Error ? err.message : String(err);
  const code = /maximum bytes|message size exceeds|insufficient resources/i.test(message) ? "RESOURCE_EXHAUSTED" : "UNAVAILABLE";
  return new RpcError(code, `${what}: the JetStream store failed: ${message}`, undefined, { cause: err });
}

function isConflict(err: unknown): boolean {
  const e = err as { code?: unknown; cause?: unknown };
  return e?.code === WRONG_LAST_SEQUENCE || (e?.cause !== undefined && isConflict(e.cause));
}

/**
 * Writes what `step` computes from the entry under `key`, on condition that no other writer
 * changed the entry in between; retries a lost round, at most MAX_CAS_ROUNDS times.
 * `step` answers (now or later) the result and the bytes to store, or throws to give up.
 */
export async function compareAndSet<T>(kv: KV, key: string, what: string, step: (entry: KvEntry | null) => [T, Uint8Array] | Promise<[T, Uint8Array]>): Promise<T> {
  for (let round = 1; round <= MAX_CAS_ROUNDS; round++) {
    try {
      const entry = await kv.get(key);
      const [result, bytes] = await step(entry);
      // create() succeeds only where no live entry exists; update() only at the revision read.
      if (live(entry)) await kv.update(key, bytes, entry.revision);
      else await kv.create(key, bytes);
      return result;
    } catch (err) {
      if (!isConflict(err)) throw storeError(err, what);
    }
    // Another writer won this round. Losing twice in a row means writers collide in step: a
    // little jitter (at most a few ms, timers are coarse) spreads them out.
    if (round > 1) await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(round, 4)));
  }
  throw new RpcError("UNAVAILABLE", `${what}: still contended after ${MAX_CAS_ROUNDS} compare-and-set rounds`);
}
