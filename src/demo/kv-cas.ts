/**
 * Writes to the demo's JetStream key-value bucket that stay exact however many instances
 * write at once (compare-and-set on the entry's revision) and however many answers are
 * lost (each write is applied once), and JetStream's failures as farcall's codes.
 *
 * A write whose answer never came (a timeout, a reconnect) is sent again, byte for byte,
 * with the same message id and the same expected revision. JetStream checks the id against
 * its duplicate window before it checks the revision, so the resend answers "duplicate" when
 * the first landed, lands when it did not, or is refused as stale when another writer moved
 * the entry first, which proves the first never landed and never will (it expected the same
 * revision). Only that last answer starts a new round; no outcome is ever guessed.
 */
import type { JetStreamClient } from "@nats-io/jetstream";
import type { KV, KvEntry } from "@nats-io/kv";
import { RpcError } from "../core/errors.js";

/**
 * How long one compare-and-set may keep trying, lost rounds and resends together, before it
 * gives up UNAVAILABLE. Each lost round means another writer's write landed, so this bounds
 * the wait under a storm of writers, never correctness; it stays well inside JetStream's
 * duplicate window (2 minutes by default), which the resends rely on.
 */
export const CAS_LIMIT_MS = 30_000;
/** How long one attempt waits for JetStream's answer before the same write is sent again. */
const ATTEMPT_MS = 2_000;
/** The longest pause between two rounds after lost races (the pauses grow towards it, with jitter). */
const MAX_BACKOFF_MS = 64;

/** JetStream's "wrong last sequence" API error: the entry changed since it was read. */
const WRONG_LAST_SEQUENCE = 10071;

/** Where a bucket's compare-and-set writes go: the bucket, and JetStream to publish its entries directly. */
export interface CasBucket {
  readonly kv: KV;
  readonly js: JetStreamClient;
  /** The bucket's name: its entries are messages on `$KV.<name>.<key>`. */
  readonly name: string;
  /** Per key, the end of this process's line of writers (see compareAndSet). */
  readonly lines: Map<string, Promise<void>>;
}

export function casBucket(kv: KV, js: JetStreamClient, name: string): CasBucket {
  return { kv, js, name, lines: new Map() };
}

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

function codeOf(err: unknown): unknown {
  const e = err as { code?: unknown; cause?: unknown } | undefined;
  if (typeof e?.code === "number") return e.code;
  return e?.cause !== undefined ? codeOf(e.cause) : undefined;
}

/** JetStream answered with an API error: the write surely did not land. */
export function isApiAnswer(err: unknown): boolean {
  return typeof codeOf(err) === "number" && (codeOf(err) as number) >= 10_000;
}

/** The connection is gone for good: a resend cannot be answered. */
export function isClosed(err: unknown): boolean {
  const name = (err as { name?: unknown } | undefined)?.name;
  return name === "ClosedConnectionError" || name === "DrainingConnectionError";
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Writes what `step` computes from the entry under `key`, on condition that no other writer
 * changed the entry in between, exactly once. One process's writers of one key take turns
 * (racing each other would only lose rounds), so races are between processes; a lost race
 * reads again and retries after a pause that grows with the losses (with jitter, so racing
 * writers spread out). Turn and rounds together take at most CAS_LIMIT_MS. `step` answers
 * (now or later) the result and the bytes to store, or throws to give up.
 * @throws RpcError UNAVAILABLE when the time is up or NATS fails: the message says whether
 *   the write may have landed (only when its answer never came).
 */
export async function compareAndSet<T>(bucket: CasBucket, key: string, what: string, step: (entry: KvEntry | null) => [T, Uint8Array] | Promise<[T, Uint8Array]>): Promise<T> {
  const deadline = Date.now() + CAS_LIMIT_MS;
  const ahead = bucket.lines.get(key);
  let release!: () => void;
  const mine = new Promise<void>((resolve) => (release = resolve));
  const tail = ahead === undefined ? mine : ahead.then(() => mine);
  bucket.lines.set(key, tail);
  try {
    if (ahead !== undefined && !(await settlesWithin(ahead, deadline - Date.now()))) {
      throw new RpcError("UNAVAILABLE", `${what}: still waiting for this server's earlier writes of the same entry after ${CAS_LIMIT_MS} ms; nothing was written`);
    }
    return await rounds(bucket, key, what, step, deadline);
  } finally {
    release();
    if (bucket.lines.get(key) === tail) bucket.lines.delete(key);
  }
}

/** True when `turn` settles within `ms`. */
function settlesWithin(turn: Promise<void>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, Math.max(0, ms), false);
    void turn.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

async function rounds<T>(bucket: CasBucket, key: string, what: string, step: (entry: KvEntry | null) => [T, Uint8Array] | Promise<[T, Uint8Array]>, deadline: number): Promise<T> {
  const id = `${key}.${Date.now().toString(36)}.${Math.random().toString(36).slice(2)}`;
  for (let round = 1; ; round++) {
    let entry: KvEntry | null;
    let result: T;
    let bytes: Uint8Array;
    try {
      entry = await bucket.kv.get(key);
      [result, bytes] = await step(entry);
    } catch (err) {
      throw storeError(err, what);
    }
    let landed: boolean;
    try {
      // A deleted entry is written over at its own revision; a key never written expects 0.
      landed = await publishOnce(bucket.js, `$KV.${bucket.name}.${key}`, bytes, `${id}.${round}`, deadline, what, entry?.revision ?? 0);
    } catch (err) {
      throw storeError(err, what);
    }
    if (landed) return result;
    const left = deadline - Date.now();
    if (left <= 0) throw new RpcError("UNAVAILABLE", `${what}: still contended after ${round} compare-and-set rounds in ${CAS_LIMIT_MS} ms; nothing was written`);
    // Another writer won this round. Full jitter over a window doubling per loss spreads
    // racing writers out instead of sending them back in step.
    await sleep(Math.min(left, Math.random() * Math.min(MAX_BACKOFF_MS, 2 ** Math.min(round, 6))));
  }
}

/**
 * Publishes `bytes` with message id `msgID` (and, when given, on condition that the subject's
 * last message is `revision`) until JetStream answers, for at most until `deadline`: true when
 * it landed (now or by an earlier send of the same id), false when the subject moved past
 * `revision` first.
 * @throws JetStream's refusal as it came (the caller names it); RpcError UNAVAILABLE saying
 *   the message may have landed when no answer came by `deadline` or the connection closed.
 */
export async function publishOnce(js: JetStreamClient, subject: string, bytes: Uint8Array, msgID: string, deadline: number, what: string, revision?: number): Promise<boolean> {
  const options = { msgID, timeout: ATTEMPT_MS, ...(revision === undefined ? {} : { expect: { lastSubjectSequence: revision } }) };
  for (;;) {
    try {
      await js.publish(subject, bytes, options);
      return true;
    } catch (err) {
      if (revision !== undefined && codeOf(err) === WRONG_LAST_SEQUENCE) return false;
      if (isApiAnswer(err)) throw err;
      if (isClosed(err) || Date.now() >= deadline) {
        const message = err instanceof Error ? err.message : String(err);
        throw new RpcError("UNAVAILABLE", `${what}: JetStream never answered the write (${message}); it may have landed`, undefined, { cause: err });
      }
    }
    // No answer: the same write again, which JetStream applies at most once (see above).
    await sleep(Math.min(MAX_BACKOFF_MS, Math.max(0, deadline - Date.now())));
  }
}
