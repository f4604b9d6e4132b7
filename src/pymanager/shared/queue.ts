/**
 * A first-in, first-out queue shared by every client of a server, Python's `queue.Queue`
 * with its semantics: `get` waits for an item, `put` waits for room when a maxsize is set,
 * `taskDone`/`join` count unfinished work. A waiting call parks only itself: other calls,
 * on this queue or anything else, go on. An item put while getters wait goes straight to
 * the first of them, and a getter that gave up (its timeout, its caller gone) is never
 * handed one, so no item is lost to a client that left.
 *
 * @example
 * const jobs = new SharedQueue();
 * await serve({ jobs, get_queue: () => jobs }, { listen: ["tcp://127.0.0.1:0", "pymanager://127.0.0.1:0"] });
 */
import { RpcError } from "../../core/errors.js";
import { MAX_SHARED_ITEMS, signalOf, TIMED_OUT, timeoutOf, tooManyItems, Waiters, type BlockingOptions } from "./waiters.js";
import { SharedObject } from "./shared-object.js";

/** Options of a {@link SharedQueue}. */
export interface SharedQueueOptions {
  /** Most items held; `put` waits for room beyond it. 0 means no bound but the server's own (1,000,000). @default 0 */
  maxsize?: number;
}

export class SharedQueue<T = unknown> extends SharedObject {
  readonly maxsize: number;
  // Items leave from `#head` (no Array.shift); the array is
  // compacted once half of it is gone, so get stays O(1) amortised without Array.shift.
  #items: T[] = [];
  #head = 0;
  #unfinished = 0;
  readonly #getters = new Waiters<undefined, T>();
  /** Putters waiting for room, each with its item: a get that frees room moves it in at once. */
  readonly #putters = new Waiters<T, true>();
  readonly #joiners = new Waiters<undefined, true>();

  constructor(options: SharedQueueOptions = {}) {
    super();
    const maxsize = options.maxsize ?? 0;
    if (!Number.isSafeInteger(maxsize)) throw new RangeError(`SharedQueueOptions.maxsize must be an integer, got ${String(maxsize)}`);
    this.maxsize = maxsize > 0 ? Math.min(maxsize, MAX_SHARED_ITEMS) : 0;
  }

  /** Items in the queue now. */
  qsize(): number {
    return this.#items.length - this.#head;
  }

  empty(): boolean {
    return this.qsize() === 0;
  }

  /** True when a put would wait (or fail at once with block: false). */
  full(): boolean {
    const n = this.qsize();
    return this.maxsize > 0 ? n >= this.maxsize : n >= MAX_SHARED_ITEMS;
  }

  /**
   * Adds `item` at the end, waiting for room while the queue is full.
   * @throws RpcError QUEUE_FULL when it is still full after timeoutMs (at once with block: false);
   *   RESOURCE_EXHAUSTED when an unbounded queue reaches the server's own bound.
   */
  async put(item: T, options: BlockingOptions = {}): Promise<void> {
    const timeout = timeoutOf(options, "put");
    if (!this.full() || this.maxsize === 0 || options.block === false) return this.putNowait(item);
    const outcome = await this.#putters.wait(item, timeout, signalOf(options));
    if (outcome === TIMED_OUT) throw full(this.maxsize);
  }

  /**
   * Removes and returns the first item, waiting for one while the queue is empty.
   * @throws RpcError QUEUE_EMPTY when none came within timeoutMs (at once with block: false).
   */
  async get(options: BlockingOptions = {}): Promise<T> {
    const timeout = timeoutOf(options, "get");
    if (this.qsize() > 0 || options.block === false) return this.getNowait();
    const outcome = await this.#getters.wait(undefined, timeout, signalOf(options));
    if (outcome === TIMED_OUT) throw empty();
    return outcome;
  }

  /**
   * Adds `item` now, in the caller's turn (Python's `put_nowait`).
   * @throws RpcError QUEUE_FULL when the queue is full; RESOURCE_EXHAUSTED when an unbounded
   *   queue reaches the server's own bound.
   */
  putNowait(item: T): void {
    if (this.#getters.handFirst(item) !== undefined) {
      this.#unfinished++;
      return;
    }
    if (!this.full()) {
      this.#push(item);
      return;
    }
    if (this.maxsize === 0) throw tooManyItems("the queue", this.qsize());
    throw full(this.maxsize);
  }

  /**
   * Removes and returns the first item now, in the caller's turn (Python's `get_nowait`).
   * @throws RpcError QUEUE_EMPTY when the queue is empty.
   */
  getNowait(): T {
    if (this.qsize() === 0) throw empty();
    return this.#shift();
  }

  /** Marks one item taken by get as done; join() returns once every put item is done. */
  taskDone(): void {
    if (this.#unfinished <= 0) throw new RpcError("ValueError", "task_done() called too many times");
    if (--this.#unfinished === 0) this.#joiners.handAll(true);
  }

  /** Waits until every item put has been marked done with taskDone(). */
  async join(options: Pick<BlockingOptions, "signal"> = {}): Promise<void> {
    if (this.#unfinished === 0) return;
    await this.#joiners.wait(undefined, undefined, signalOf(options));
  }

  /** The items in order, without taking them. */
  snapshot(): T[] {
    return this.#items.slice(this.#head);
  }

  #push(item: T): void {
    this.#items.push(item);
    this.#unfinished++;
  }

  #shift(): T {
    const item = this.#items[this.#head];
    this.#items[this.#head++] = undefined as T;
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    // Room was freed: the first waiting putter's item moves in now, so no other put takes its place.
    const moved = this.#putters.handFirst(true);
    if (moved !== undefined) this.#push(moved.payload);
    return item;
  }
}

/** Marks an {@link ExternalQueue}, so Python's clients are answered with a Queue proxy for it. */
export const EXTERNAL_QUEUE: unique symbol = Symbol("farcall.externalQueue");

/**
 * A queue kept outside this process (the demo's JetStream queue, shared by every instance),
 * served to Python's clients as a `queue.Queue` like a {@link SharedQueue}; every answer may
 * come later. `get` and `put` follow {@link BlockingOptions}, rejecting QUEUE_EMPTY or
 * QUEUE_FULL as a SharedQueue does.
 */
export interface ExternalQueue<T = unknown> {
  readonly [EXTERNAL_QUEUE]: true;
  put(item: T, options?: BlockingOptions): Promise<void>;
  get(options?: BlockingOptions): Promise<T>;
  qsize(): Promise<number>;
  empty(): Promise<boolean>;
  full(): Promise<boolean>;
  taskDone(): Promise<void>;
  join(options?: Pick<BlockingOptions, "signal">): Promise<void>;
}

export function isExternalQueue(value: object): value is ExternalQueue {
  return (value as Partial<ExternalQueue>)[EXTERNAL_QUEUE] === true;
}

function empty(): RpcError {
  return new RpcError("QUEUE_EMPTY", "the queue is empty");
}

function full(maxsize: number): RpcError {
  return new RpcError("QUEUE_FULL", `the queue is full (maxsize ${maxsize})`);
}
