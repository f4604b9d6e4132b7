/**
 * The demo's shared queue (`get_queue()`, `queue.put`/`get`/`size`) in a JetStream
 * work-queue stream when the demo's state is in NATS (`--store nats://host:4222/bucket`), so
 * every instance serves the same queue: an item put through one is taken, once, through any.
 *
 * `put` publishes and waits for JetStream's acknowledgement. `get` pulls from one durable
 * consumer that every instance shares, so each item goes to one getter; a waiting `get` is a
 * pending pull, parking only its own call. JetStream's shortest pull lasts 1 s, so a getter
 * that gives up earlier (its timeout, its caller gone) leaves its pull behind, and an item
 * that pull receives is handed back (`nak`) at once, for the next getter: none is lost to a
 * caller that left. `task_done()`/`join()` are refused: no instance sees every item's end.
 * Items are stored as the demo's keys are (stored-value.ts), so each side gets back the
 * types it put.
 */
import type { Consumer, JetStreamClient, JetStreamManager, JsMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { RpcError } from "../core/errors.js";
import { loadNatsJetStream } from "../nats/loader.js";
import { EXTERNAL_QUEUE, type ExternalQueue } from "../pymanager/shared/queue.js";
import { signalOf, timeoutOf, type BlockingOptions } from "../pymanager/shared/waiters.js";
import { decodeStored, encodeStored } from "./stored-value.js";

/** Limits of the stream this queue creates (an existing stream keeps its own). */
export const NATS_QUEUE_LIMITS = Object.freeze({
  /** Items held; a put past it fails RESOURCE_EXHAUSTED. */
  maxItems: 100_000,
  /** Bytes held, all items together. */
  maxBytes: 64 * 1024 * 1024,
  /** One item, encoded. */
  maxItemBytes: 1024 * 1024,
});

/** The shortest pull JetStream's client allows, and the longest one pull waits before the next. */
const MIN_PULL_MS = 1_000;
const MAX_PULL_MS = 30_000;
/** The pause before pulling again after a pull that ended long before its time. */
const EARLY_RETRY_MS = 100;
/** The durable consumer every instance's getters share. */
const CONSUMER = "getters";

const GAVE_UP: unique symbol = Symbol("gave up");

function queueEmpty(): RpcError {
  return new RpcError("QUEUE_EMPTY", "the queue is empty");
}

function unavailable(err: unknown, what: string): RpcError {
  if (RpcError.is(err)) return err;
  const message = err instanceof Error ? err.message : String(err);
  const code = /maximum messages|maximum bytes|message size exceeds/i.test(message) ? "RESOURCE_EXHAUSTED" : "UNAVAILABLE";
  return new RpcError(code, `${what}: the JetStream queue failed: ${message}`, undefined, { cause: err });
}

/** Resolves with `pull`'s outcome, or GAVE_UP once `ms` (Infinity: never) pass or `signal` aborts, whichever comes first. */
function race(pull: Promise<JsMsg | null>, ms: number, signal: AbortSignal | undefined): Promise<JsMsg | null | typeof GAVE_UP> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    };
    const onAbort = (): void => {
      done();
      resolve(GAVE_UP);
    };
    // A deadline past the pull's own expiry needs no timer: the pull answers null first.
    const timer = Number.isFinite(ms) ? setTimeout(onAbort, Math.max(0, Math.min(ms, 2_147_483_647))) : undefined;
    signal?.addEventListener("abort", onAbort, { once: true });
    pull.then((msg) => {
      done();
      resolve(msg);
    }, (err: unknown) => {
      done();
      reject(err);
    });
  });
}

export class NatsQueue implements ExternalQueue {
  readonly [EXTERNAL_QUEUE] = true as const;

  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly consumer: Consumer,
    private readonly stream: string,
    private readonly subject: string,
  ) {}

  /** Publishes `item` (a stream's bound is not a wait: a full stream fails at once, RESOURCE_EXHAUSTED). */
  async put(item: unknown, _options?: BlockingOptions): Promise<void> {
    const bytes = encodeStored(item);
    if (bytes.length > NATS_QUEUE_LIMITS.maxItemBytes) throw new RpcError("RESOURCE_EXHAUSTED", `an item of ${bytes.length} B exceeds the queue's ${NATS_QUEUE_LIMITS.maxItemBytes} B`);
    try {
      await this.js.publish(this.subject, bytes);
    } catch (err) {
      throw unavailable(err, "put");
    }
  }

  /**
   * Takes the first item, waiting up to `timeoutMs` (for ever when left out).
   * @throws RpcError QUEUE_EMPTY when none came in time (at once with block: false and none held).
   */
  async get(options: BlockingOptions = {}): Promise<unknown> {
    const timeoutMs = timeoutOf(options, "get");
    const signal = signalOf(options);
    let deadline = timeoutMs === undefined ? Infinity : Date.now() + timeoutMs;
    if (options.block === false || timeoutMs === 0) {
      if ((await this.pending()) === 0) throw queueEmpty();
      // An item is there: give its delivery a moment (another getter may still take it first).
      deadline = Date.now() + MIN_PULL_MS;
    }
    for (;;) {
      if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new RpcError("CANCELLED", "the get was cancelled");
      const left = deadline - Date.now();
      if (left <= 0) throw queueEmpty();
      const pulled = Date.now();
      const pull = this.consumer.next({ expires: Math.min(Math.max(left, MIN_PULL_MS), MAX_PULL_MS) });
      let outcome: JsMsg | null | typeof GAVE_UP;
      try {
        outcome = await race(pull, left, signal);
      } catch (err) {
        throw unavailable(err, "get");
      }
      if (outcome === GAVE_UP) {
        // The pull stays out: what it still receives goes back to the stream for another getter.
        pull.then((late) => late?.nak(), () => undefined);
        continue;
      }
      if (outcome === null) {
        // A pull the server ended early (its line of waiting pulls was full, say) is not
        // retried at once: a loop of instant refusals would spin.
        if (Date.now() - pulled < MIN_PULL_MS / 2) await new Promise((resolve) => setTimeout(resolve, Math.min(EARLY_RETRY_MS, Math.max(0, deadline - Date.now()))));
        continue;
      }
      try {
        // Confirmed, so no other getter is handed it again.
        await outcome.ackAck();
      } catch (err) {
        throw unavailable(err, "get");
      }
      return decodeStored(outcome.data);
    }
  }

  /** Items held, taken ones not yet acknowledged included. */
  async qsize(): Promise<number> {
    try {
      return (await this.jsm.streams.info(this.stream)).state.messages;
    } catch (err) {
      throw unavailable(err, "qsize");
    }
  }

  async empty(): Promise<boolean> {
    return (await this.qsize()) === 0;
  }

  async full(): Promise<boolean> {
    return (await this.qsize()) >= NATS_QUEUE_LIMITS.maxItems;
  }

  taskDone(): Promise<void> {
    return Promise.reject(notServed("task_done()"));
  }

  join(): Promise<void> {
    return Promise.reject(notServed("join()"));
  }

  /** Items not yet delivered to any getter. */
  private async pending(): Promise<number> {
    try {
      return (await this.consumer.info()).num_pending;
    } catch (err) {
      throw unavailable(err, "get");
    }
  }
}

function notServed(what: string): RpcError {
  return new RpcError("NotImplementedError", `${what} is not served on a queue shared through NATS: no one instance sees every item's end`);
}

/**
 * The shared queue of the store `bucket`: stream `<bucket>_queue` on subject
 * `farcall.<bucket>.queue`, created on first use, with its shared consumer.
 * @throws RpcError UNAVAILABLE when JetStream refuses or the package is missing.
 */
export async function openNatsQueue(nc: NatsConnection, bucket: string): Promise<NatsQueue> {
  const { jetstream, jetstreamManager, AckPolicy, DiscardPolicy, RetentionPolicy } = await loadNatsJetStream();
  const stream = `${bucket}_queue`;
  const subject = `farcall.${bucket}.queue`;
  try {
    const jsm = await jetstreamManager(nc);
    // Adding a stream or consumer that exists with the same settings changes nothing: every instance may.
    await jsm.streams.add({
      name: stream,
      subjects: [subject],
      retention: RetentionPolicy.Workqueue,
      discard: DiscardPolicy.New,
      max_msgs: NATS_QUEUE_LIMITS.maxItems,
      max_bytes: NATS_QUEUE_LIMITS.maxBytes,
      max_msg_size: NATS_QUEUE_LIMITS.maxItemBytes,
    });
    await jsm.consumers.add(stream, { durable_name: CONSUMER, ack_policy: AckPolicy.Explicit });
    const js = jetstream(nc);
    return new NatsQueue(js, jsm, await js.consumers.get(stream, CONSUMER), stream, subject);
  } catch (err) {
    throw new RpcError("UNAVAILABLE", `cannot open the JetStream queue ${JSON.stringify(stream)}: ${(err as Error).message}`, undefined, { cause: err });
  }
}
