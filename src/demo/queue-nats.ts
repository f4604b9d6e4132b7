/**
 * The demo's shared queue (`get_queue()`, `queue.put`/`get`/`size`) in a JetStream
 * work-queue stream when the demo's state is in NATS (`--store nats://host:4222/bucket`), so
 * every instance serves the same queue: an item put through one is taken, once, through any.
 * It is Python's `queue.Queue` across instances: Python's clients hold it as a Queue proxy,
 * farcall/1 callers as a reference (its methods run on the instance that answered them).
 *
 * `put` publishes and waits for JetStream's acknowledgement. With a maxsize the stream
 * holds at most that many items and JetStream refuses the one past it, so the bound holds
 * across instances; a blocking put then waits for room, trying again at each notice that a
 * getter took an item (queue-nats-room.ts). Waiting puts go in first come, first served
 * across instances: each takes a place in a shared line and tries only when first
 * (queue-nats-line.ts).
 *
 * `get` pulls from one durable consumer that every instance shares; a getter hands an item
 * out only once it took it (deleted its stream sequence, queue-nats-take.ts), which one
 * getter alone can, however long it stood still between delivery and delete. A waiting
 * `get` is a pending pull, parking only its own call. JetStream's shortest
 * pull lasts 1 s, so a getter that gives up earlier (its timeout, its caller gone) leaves its
 * pull behind, and an item that pull receives is handed back (`nak`) at once, for the next
 * getter: none is lost to a caller that left. `task_done()`/`join()`: queue-nats-tasks.ts.
 * Items are stored as the demo's keys are (stored-value.ts), so each side gets back the
 * types it put.
 */
import type { Consumer, JetStreamClient, JetStreamManager, JsMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { RpcError } from "../core/errors.js";
import { loadNatsJetStream } from "../nats/loader.js";
import { EXTERNAL_QUEUE, type ExternalQueue } from "../pymanager/shared/queue.js";
import { SharedObject } from "../pymanager/shared/shared-object.js";
import { signalOf, timeoutOf, type BlockingOptions } from "../pymanager/shared/waiters.js";
import { publishOnce, type CasBucket } from "./kv-cas.js";
import { LINE_MAX, PutLine } from "./queue-nats-line.js";
import { RoomNotices, ROOM_RETRY_MS, SETTLE_MS } from "./queue-nats-room.js";
import { ACK_WAIT_MS, takeDelivered, takeSubject } from "./queue-nats-take.js";
import { NatsTaskCount } from "./queue-nats-tasks.js";
import { decodeStored, encodeStored } from "./stored-value.js";

export { ACK_WAIT_MS };

/** Limits of the stream this queue creates (an existing stream keeps its own). */
export const NATS_QUEUE_LIMITS = Object.freeze({
  /** Items held when no maxsize is given, and the largest maxsize; a put past it fails RESOURCE_EXHAUSTED. */
  maxItems: 100_000,
  /** Bytes held, all items together. */
  maxBytes: 64 * 1024 * 1024,
  /** One item, encoded. */
  maxItemBytes: 1024 * 1024,
});

/** Options of the shared queue. */
export interface NatsQueueOptions {
  /**
   * Most items held, as Python's `Queue(maxsize)`: a put waits for room beyond it. 0: no
   * bound but {@link NATS_QUEUE_LIMITS}.maxItems, where a put fails RESOURCE_EXHAUSTED.
   * Every instance of one store must give the same. @default 0
   */
  maxsize?: number;
}

/** The shortest pull JetStream's client allows, and the longest one pull waits before the next. */
const MIN_PULL_MS = 1_000;
const MAX_PULL_MS = 30_000;
/** The pause before pulling again after a pull that ended long before its time. */
const EARLY_RETRY_MS = 100;
/** How long a put sends its item again while JetStream does not answer (within its 2-minute duplicate window). */
const PUT_ANSWER_MS = 30_000;
/** The durable consumer every instance's getters share. */
const CONSUMER = "getters";
/** JetStream's "maximum messages exceeded": the stream holds its max_msgs. */
const STREAM_FULL = 10077;

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

function isStreamFull(err: unknown): boolean {
  const e = err as { code?: unknown; cause?: unknown } | undefined;
  return e?.code === STREAM_FULL || (e?.cause !== undefined && isStreamFull(e.cause));
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

/** Where one queue lives in NATS. */
interface QueueParts {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  consumer: Consumer;
  stream: string;
  subject: string;
  tasks: NatsTaskCount;
  maxsize: number;
  /** The line of waiting puts (a bounded queue only). */
  line: PutLine | undefined;
}

/**
 * The queue every instance of one store serves. Passed by reference over farcall/1 (its
 * methods below run on the instance), as a Queue proxy to Python's manager clients.
 */
export class NatsQueue extends SharedObject implements ExternalQueue {
  readonly [EXTERNAL_QUEUE] = true as const;
  readonly #parts: QueueParts;
  readonly #room: RoomNotices;

  constructor(parts: QueueParts) {
    super();
    this.#parts = parts;
    this.#room = new RoomNotices(parts.nc, [takeSubject(parts.stream), ...(parts.line === undefined ? [] : [takeSubject(parts.line.stream)])]);
  }

  /** Most items held (0: no bound but the stream's own). */
  get maxsize(): number {
    return this.#parts.maxsize;
  }

  /**
   * Adds `item` at the end, waiting up to `timeoutMs` (for ever when left out) for room
   * while the queue holds maxsize items.
   * @throws RpcError QUEUE_FULL when there is still no room after timeoutMs (at once with
   *   block: false); RESOURCE_EXHAUSTED when a queue without maxsize reaches its stream's bound.
   */
  async put(item: unknown, options: BlockingOptions = {}): Promise<void> {
    const timeoutMs = timeoutOf(options, "put");
    const bytes = encodeStored(item);
    if (bytes.length > NATS_QUEUE_LIMITS.maxItemBytes) throw new RpcError("RESOURCE_EXHAUSTED", `an item of ${bytes.length} B exceeds the queue's ${NATS_QUEUE_LIMITS.maxItemBytes} B`);
    const { js, subject, maxsize } = this.#parts;
    const deadline = timeoutMs === undefined ? Infinity : Date.now() + timeoutMs;
    const signal = signalOf(options);
    let waiting = false;
    let noticed = false;
    /** This put's place in the line of waiting puts, once it waits. */
    let ticket: number | undefined;
    // One id for every send of this item: a send whose answer was lost and the one after it
    // store it once (JetStream's duplicate window), so a lost answer never puts it twice.
    const id = `${Date.now().toString(36)}.${Math.random().toString(36).slice(2)}`;
    try {
      for (;;) {
        const heard = this.#room.heard;
        // A put that waits tries only when it is first in line: waiting puts go in in order.
        const tries = ticket === undefined || (await this.#first(ticket));
        if (tries) {
          try {
            await publishOnce(js, subject, bytes, id, Date.now() + PUT_ANSWER_MS, "put");
            return;
          } catch (err) {
            if (!isStreamFull(err) || maxsize === 0) throw unavailable(err, "put");
          }
          if (options.block === false) throw queueFull(maxsize);
        }
        if (!waiting) {
          waiting = true;
          // Listening first: room made once the ticket is taken is heard.
          await this.#room.begin();
          ticket = await this.#parts.line?.join();
          continue;
        }
        if (heard !== this.#room.heard) continue;
        if (noticed && tries) {
          // Refused right after a notice: once more when its delete has surely landed.
          noticed = false;
          await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
          continue;
        }
        const left = deadline - Date.now();
        if (left <= 0) throw queueFull(maxsize);
        // Woken by a notice, or after ROOM_RETRY_MS, to try again; rejects when the caller leaves.
        noticed = await this.#room.next(Math.min(left, ROOM_RETRY_MS), signal);
      }
    } finally {
      if (waiting) this.#room.end();
      if (ticket !== undefined) this.#parts.line?.leave(ticket);
    }
  }

  /** Whether the put holding `ticket` is first in line; true when the line cannot be read (the put then races, as without a line). */
  async #first(ticket: number): Promise<boolean> {
    try {
      return (await this.#parts.line?.first(ticket)) ?? true;
    } catch {
      return true;
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
    // Without waiting, Empty only when qsize reads 0: an item it counts is waited for, up to
    // the time one held by a getter whose instance died takes to come back (ACK_WAIT_MS).
    const nowait = options.block === false || timeoutMs === 0;
    if (nowait) {
      if ((await this.qsize()) === 0) throw queueEmpty();
      deadline = Date.now() + ACK_WAIT_MS + MIN_PULL_MS;
    }
    for (;;) {
      if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new RpcError("CANCELLED", "the get was cancelled");
      const left = deadline - Date.now();
      if (left <= 0) throw queueEmpty();
      const pulled = Date.now();
      const pull = this.#parts.consumer.next({ expires: nowait ? MIN_PULL_MS : Math.min(Math.max(left, MIN_PULL_MS), MAX_PULL_MS) });
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
        // Another getter took what qsize counted.
        if (nowait && (await this.qsize()) === 0) throw queueEmpty();
        // A pull the server ended early (its line of waiting pulls was full, say) is not
        // retried at once: a loop of instant refusals would spin.
        if (Date.now() - pulled < MIN_PULL_MS / 2) await new Promise((resolve) => setTimeout(resolve, Math.min(EARLY_RETRY_MS, Math.max(0, deadline - Date.now()))));
        continue;
      }
      let mine: boolean;
      try {
        mine = await takeDelivered(this.#parts.nc, this.#parts.stream, outcome);
      } catch (err) {
        throw unavailable(err, "get");
      }
      // Not mine: this delivery outlived the ack wait and another getter took the item.
      if (mine) return decodeStored(outcome.data);
    }
  }

  /** put(item, { block: false }): Python's `put_nowait`. */
  putNowait(item: unknown): Promise<void> {
    return this.put(item, { block: false });
  }

  /** get({ block: false }): Python's `get_nowait`. */
  getNowait(): Promise<unknown> {
    return this.get({ block: false });
  }

  /**
   * Items the stream holds: a snapshot, as Python's own is, and the count maxsize bounds.
   * A get takes effect when its delete lands, before it answers (as Python's takes its
   * item under the lock), so an item a getter holds still counts until then: one round trip,
   * or until it comes back within ACK_WAIT_MS when that getter's instance died. get without
   * waiting waits for such an item rather than disagree with this count.
   */
  async qsize(): Promise<number> {
    return this.#held("qsize");
  }

  async empty(): Promise<boolean> {
    return (await this.qsize()) === 0;
  }

  /** True when a put would wait now (fail at once with block: false): the stream holds maxsize items. */
  async full(): Promise<boolean> {
    const held = await this.#held("full");
    return held >= (this.#parts.maxsize > 0 ? this.#parts.maxsize : NATS_QUEUE_LIMITS.maxItems);
  }

  /**
   * Marks one item taken by get as done, on any instance.
   * @throws RpcError ValueError when called more times than items were put.
   */
  taskDone(): Promise<void> {
    return this.#parts.tasks.taskDone();
  }

  /** Waits until every item put, through any instance, has been marked done with taskDone(). */
  join(options: Pick<BlockingOptions, "signal"> = {}): Promise<void> {
    return this.#parts.tasks.join(options);
  }

  /** Items the stream holds, those in getters' hands included. */
  async #held(what: string): Promise<number> {
    try {
      return (await this.#parts.jsm.streams.info(this.#parts.stream)).state.messages;
    } catch (err) {
      throw unavailable(err, what);
    }
  }
}

function queueFull(maxsize: number): RpcError {
  return new RpcError("QUEUE_FULL", `the queue is full (maxsize ${maxsize})`);
}

/**
 * The shared queue of the store `bucket`: stream `<bucket>_queue` on subject
 * `farcall.<bucket>.queue`, created on first use, with its shared consumer; its task count
 * lives in `kv`, the store's bucket (written exactly once per call, kv-cas.ts).
 * @throws RpcError UNAVAILABLE when JetStream refuses (an existing stream with another
 *   maxsize included) or the package is missing; INVALID_PARAMS for a bad maxsize.
 */
export async function openNatsQueue(nc: NatsConnection, kv: CasBucket, bucket: string, options: NatsQueueOptions = {}): Promise<NatsQueue> {
  const maxsize = options.maxsize ?? 0;
  if (!Number.isSafeInteger(maxsize) || maxsize < 0 || maxsize > NATS_QUEUE_LIMITS.maxItems) {
    throw new RpcError("INVALID_PARAMS", `the queue's maxsize must be an integer from 0 to ${NATS_QUEUE_LIMITS.maxItems}, got ${String(maxsize)}`);
  }
  const { jetstream, jetstreamManager, AckPolicy, DiscardPolicy, RetentionPolicy } = await loadNatsJetStream();
  const stream = `${bucket}_queue`;
  const subject = `farcall.${bucket}.queue`;
  try {
    const jsm = await jetstreamManager(nc);
    // Adding a stream or consumer that exists with the same settings changes nothing: every
    // instance may. One with another bound is refused, so instances never disagree on maxsize.
    await jsm.streams.add({
      name: stream,
      subjects: [subject],
      retention: RetentionPolicy.Workqueue,
      discard: DiscardPolicy.New,
      max_msgs: maxsize > 0 ? maxsize : NATS_QUEUE_LIMITS.maxItems,
      max_bytes: NATS_QUEUE_LIMITS.maxBytes,
      max_msg_size: NATS_QUEUE_LIMITS.maxItemBytes,
    });
    // A consumer made by an older version (30 s) is updated to the ack wait asked here.
    await jsm.consumers.add(stream, { durable_name: CONSUMER, ack_policy: AckPolicy.Explicit, ack_wait: ACK_WAIT_MS * 1_000_000 });
    const js = jetstream(nc);
    const consumer = await js.consumers.get(stream, CONSUMER);
    let line: PutLine | undefined;
    if (maxsize > 0) {
      // Only a bounded queue has waiting puts to line up.
      await jsm.streams.add({ name: `${stream}_line`, subjects: [`${subject}.line`], discard: DiscardPolicy.New, max_msgs: LINE_MAX });
      line = new PutLine(nc, js, jsm, `${stream}_line`, `${subject}.line`);
    }
    return new NatsQueue({ nc, js, jsm, consumer, stream, subject, maxsize, tasks: new NatsTaskCount(kv, jsm, stream), line });
  } catch (err) {
    const message = (err as Error).message;
    const hint = /already in use/i.test(message) ? ` (every instance of one store needs the same queue maxsize; this one asked ${maxsize})` : "";
    throw new RpcError("UNAVAILABLE", `cannot open the JetStream queue ${JSON.stringify(stream)}: ${message}${hint}`, undefined, { cause: err });
  }
}
