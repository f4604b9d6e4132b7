/**
 * Python's `threading.Barrier` as a shared object, reached from Python clients
 * (`m.Barrier(parties, timeout=None)`): each `wait` parks until `parties` calls are waiting,
 * then all return at once, each with its arrival index (0 to parties - 1). A wait that times
 * out, `abort()`, or `reset()` while calls wait breaks the barrier: every waiting call fails
 * with BROKEN_BARRIER (Python's `threading.BrokenBarrierError`), and so does every later
 * `wait` until `reset()`. A waiter whose connection closes leaves the line but still counts as
 * arrived, as a thread of Python's server blocked for a client that died does.
 */
import { RpcError } from "../../core/errors.js";
import { signalOf, TIMED_OUT, timeoutOf, Waiters, type BlockingOptions } from "./waiters.js";
import { SharedObject } from "./shared-object.js";

/** What a waiter is handed when the barrier breaks instead of filling. */
const BROKEN = -1;

/** Options of a {@link SharedBarrier}. */
export interface SharedBarrierOptions {
  /** How many waits release the barrier. */
  parties: number;
  /** The wait's timeout in milliseconds when a wait names none. @default no limit */
  timeoutMs?: number;
}

export class SharedBarrier extends SharedObject {
  readonly parties: number;
  readonly #timeoutMs: number | undefined;
  #arrived = 0;
  #broken = false;
  readonly #waiters = new Waiters<number, number>();

  constructor(options: SharedBarrierOptions) {
    super();
    const { parties } = options;
    if (!Number.isSafeInteger(parties) || parties < 1) throw new RpcError("ValueError", `parties must be an integer >= 1, got ${String(parties)}`);
    this.parties = parties;
    this.#timeoutMs = timeoutOf(options, "Barrier");
  }

  /** Calls waiting now. */
  get nWaiting(): number {
    return this.#arrived;
  }

  /** True after a timeout or abort(), until reset(). */
  get broken(): boolean {
    return this.#broken;
  }

  /**
   * Waits until `parties` calls wait; answers this call's arrival index.
   * @throws RpcError BROKEN_BARRIER when the barrier is or becomes broken, or timeoutMs passes (which breaks it).
   */
  async wait(options: Omit<BlockingOptions, "block"> = {}): Promise<number> {
    const timeout = timeoutOf(options, "wait") ?? this.#timeoutMs;
    if (this.#broken) throw brokenBarrier();
    const index = this.#arrived++;
    if (this.#arrived === this.parties) {
      // The last arrival releases the rest, each with the index it arrived with.
      this.#arrived = 0;
      this.#waiters.handEach((position) => position);
      return index;
    }
    const outcome = await this.#waiters.wait(index, timeout, signalOf(options));
    if (outcome === TIMED_OUT) {
      this.abort();
      throw brokenBarrier();
    }
    if (outcome === BROKEN) throw brokenBarrier();
    return outcome;
  }

  /** Breaks the barrier: every waiting call and every later wait fails until reset(). */
  abort(): void {
    this.#broken = true;
    this.#arrived = 0;
    this.#waiters.handAll(BROKEN);
  }

  /** Makes the barrier usable again; calls waiting now fail with BROKEN_BARRIER. */
  reset(): void {
    this.#waiters.handAll(BROKEN);
    this.#arrived = 0;
    this.#broken = false;
  }
}

function brokenBarrier(): RpcError {
  return new RpcError("BROKEN_BARRIER", "the barrier is broken");
}
