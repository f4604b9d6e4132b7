/**
 * Python's `task_done()` and `join()` for the demo's JetStream queue, exact across every
 * instance that serves it.
 *
 * Unfinished tasks are, as in Python's `queue.Queue`, the items put minus the `task_done()`
 * calls. The puts are counted by JetStream itself: the stream's last sequence number rises
 * by one with each item it accepts, in the step that accepts it, so no put goes uncounted
 * (not even one whose instance dies right after, or whose acknowledgement was lost). The
 * `task_done()` calls are counted in one entry of the store's bucket (`q.done`), raised by
 * compare-and-set and only while it is below the puts: both counts only grow, so a raise
 * checked against a put count read after the entry can never pass the puts, and the count
 * never goes wrong under any number of racing instances. A call that would pass it raises
 * Python's ValueError, and that is linearizable too: with the entry read first, the puts
 * read after it equal the entry's count at that moment, so nothing was unfinished then.
 *
 * `join()` returns once the two counts meet: it watches the entry (every `task_done()`
 * anywhere updates it), and checks again every second in case the watch missed one.
 * The entry records which stream it counts for (its creation time): a stream deleted and
 * made again starts from zero.
 */
import type { JetStreamManager } from "@nats-io/jetstream";
import type { KV, KvEntry } from "@nats-io/kv";
import { RpcError } from "../core/errors.js";
import { signalOf, Waiters, type BlockingOptions } from "../pymanager/shared/waiters.js";
import { compareAndSet, live, storeError, type CasBucket } from "./kv-cas.js";

/** The entry counting task_done() calls; `q.` is apart from the keys' `k.` and counters' `c.`. */
export const DONE_KEY = "q.done";
/** How often waiting joins check the counts besides the watch. */
const RECHECK_MS = 1_000;

const encoder = new TextEncoder();

interface DoneCount {
  /** The creation time of the stream whose puts this counts against. */
  stream: string;
  done: number;
}

export class NatsTaskCount {
  readonly #bucket: CasBucket;
  readonly #kv: KV;
  readonly #jsm: JetStreamManager;
  readonly #stream: string;
  readonly #joiners = new Waiters<undefined, true>();
  #watching = false;

  constructor(bucket: CasBucket, jsm: JetStreamManager, stream: string) {
    this.#bucket = bucket;
    this.#kv = bucket.kv;
    this.#jsm = jsm;
    this.#stream = stream;
  }

  /**
   * Counts one task done.
   * @throws RpcError ValueError when every item put is already done, as Python raises it.
   */
  taskDone(): Promise<void> {
    return compareAndSet(this.#bucket, DONE_KEY, "task_done()", async (entry) => {
      // The entry was read before the puts: see the module's comment.
      const { created, puts } = await this.#puts();
      const done = this.#doneOf(entry, created);
      if (done >= puts) throw new RpcError("ValueError", "task_done() called too many times");
      const next: DoneCount = { stream: created, done: done + 1 };
      return [undefined, encoder.encode(JSON.stringify(next))];
    });
  }

  /** Waits until every item put has been counted done; only `signal` (or the caller leaving) ends it sooner. */
  async join(options: Pick<BlockingOptions, "signal"> = {}): Promise<void> {
    const signal = signalOf(options);
    try {
      if (await this.#finished()) return;
    } catch (err) {
      throw storeError(err, "join()");
    }
    const waiting = this.#joiners.wait(undefined, undefined, signal);
    this.#watch();
    // A task_done() between the check above and the watch's start is seen here.
    this.#check();
    await waiting;
  }

  /** How many items were put and not yet counted done (a snapshot). */
  async unfinished(): Promise<number> {
    try {
      const entry = await this.#kv.get(DONE_KEY);
      const { created, puts } = await this.#puts();
      return puts - this.#doneOf(entry, created);
    } catch (err) {
      throw storeError(err, "unfinished()");
    }
  }

  /** True when the counts met at one moment: the entry is read first, the puts after it. */
  async #finished(): Promise<boolean> {
    return (await this.unfinished()) <= 0;
  }

  async #puts(): Promise<{ created: string; puts: number }> {
    const info = await this.#jsm.streams.info(this.#stream);
    return { created: info.created, puts: info.state.last_seq };
  }

  #doneOf(entry: KvEntry | null, created: string): number {
    if (!live(entry)) return 0;
    let count: Partial<DoneCount> | undefined;
    try {
      count = JSON.parse(entry.string()) as Partial<DoneCount>;
    } catch {
      count = undefined;
    }
    if (typeof count?.stream !== "string" || !Number.isSafeInteger(count.done) || count.done! < 0) {
      throw new RpcError("UNAVAILABLE", `the queue's task count (${DONE_KEY} in the bucket) holds ${JSON.stringify(entry.string().slice(0, 80))}, not a count this server wrote`);
    }
    return count.stream === created ? count.done! : 0;
  }

  /** Releases every waiting join when the counts have met; a failed check waits for the next. */
  #check(): void {
    if (this.#joiners.size === 0) return;
    this.#finished().then((met) => {
      if (met) this.#joiners.handAll(true);
    }, () => undefined);
  }

  /** One watch of the entry per instance, kept while joins wait. */
  #watch(): void {
    if (this.#watching) return;
    this.#watching = true;
    void this.#watchLoop().finally(() => {
      this.#watching = false;
      // A watch that failed (NATS reconnecting, say) is started again while joins wait.
      if (this.#joiners.size > 0) setTimeout(() => this.#watch(), RECHECK_MS).unref();
    });
  }

  async #watchLoop(): Promise<void> {
    let updates: Awaited<ReturnType<KV["watch"]>> | undefined;
    const timer = setInterval(() => {
      if (this.#joiners.size === 0) updates?.stop();
      else this.#check();
    }, RECHECK_MS);
    timer.unref();
    try {
      updates = await this.#kv.watch({ key: DONE_KEY });
      for await (const _ of updates) {
        if (this.#joiners.size === 0) break;
        this.#check();
      }
    } catch {
      // Retried by #watch while joins wait; each join still has the periodic check.
    } finally {
      clearInterval(timer);
      updates?.stop();
    }
  }
}
