/**
 * Python's `threading` primitives as shared objects: a lock (plain or reentrant), a
 * semaphore and an event, with Python's semantics, where a waiting `acquire` or `wait`
 * parks only its own call. The owner of a reentrant lock is the caller's connection (a
 * Python client holds one connection per thread, so this is Python's per-thread owner).
 *
 * A client that dies holding a lock leaves it held, as Python's own manager server does: the
 * lock belongs to nobody who can release it, and only a `release()` from another client (a
 * plain lock has no owner) frees it. A client that dies while waiting is taken out of line
 * and is never given the lock.
 */
import { currentCall } from "../../core/context.js";
import { RpcError } from "../../core/errors.js";
import { signalOf, TIMED_OUT, timeoutOf, Waiters, type BlockingOptions } from "./waiters.js";
import { SharedObject } from "./shared-object.js";

/** The owner a call acquires for: its connection, or the process itself for a local call. */
const LOCAL = Object.freeze({});
function caller(): object {
  return currentCall()?.peer ?? LOCAL;
}

/** Options of a {@link SharedLock}. */
export interface SharedLockOptions {
  /** Python's RLock: the owner may acquire again, and must release as often. @default false */
  reentrant?: boolean;
}

export class SharedLock extends SharedObject {
  readonly reentrant: boolean;
  #owner: object | undefined;
  #count = 0;
  readonly #waiters = new Waiters<object, true>();

  constructor(options: SharedLockOptions = {}) {
    super();
    this.reentrant = options.reentrant ?? false;
  }

  /** True while held. */
  locked(): boolean {
    return this.#count > 0;
  }

  /**
   * Takes the lock, waiting while another holds it; false when it was not free within
   * timeoutMs (at once with block: false).
   */
  acquire(options: BlockingOptions = {}): Promise<boolean> {
    return this.acquireFor(caller(), options);
  }

  /** acquire() for `owner`, known before any await (a browser keeps no call context across one). */
  async acquireFor(owner: object, options: BlockingOptions = {}): Promise<boolean> {
    const timeout = timeoutOf(options, "acquire");
    if (this.#count === 0) {
      this.#owner = owner;
      this.#count = 1;
      return true;
    }
    if (this.reentrant && this.#owner === owner) {
      this.#count++;
      return true;
    }
    if (options.block === false) return false;
    // release() hands the lock to the first waiter, owner and all, before it resumes.
    return (await this.#waiters.wait(owner, timeout, signalOf(options))) !== TIMED_OUT;
  }

  /**
   * Releases the lock (one level of a reentrant one).
   * @throws RpcError RuntimeError when it is not held, or a reentrant lock is released by another than its owner.
   */
  release(): void {
    if (this.#count === 0) throw new RpcError("RuntimeError", "release unlocked lock");
    if (this.reentrant && this.#owner !== caller()) throw new RpcError("RuntimeError", "cannot release un-acquired lock");
    if (--this.#count > 0) return;
    this.#owner = undefined;
    const next = this.#waiters.handFirst(true);
    if (next !== undefined) {
      this.#owner = next.payload;
      this.#count = 1;
    }
  }

  /** For a condition: gives the lock up entirely, returning how deep it was held. */
  releaseAll(): number {
    if (this.#count === 0 || (this.reentrant && this.#owner !== caller())) throw new RpcError("RuntimeError", "cannot wait on un-acquired lock");
    const depth = this.#count;
    this.#count = 1;
    this.release();
    return depth;
  }

  /** For a condition: takes the lock back for `owner` at `depth`, waiting for ever as Python's Condition does. */
  async restore(owner: object, depth: number, signal: AbortSignal | undefined): Promise<void> {
    await this.acquireFor(owner, { signal });
    this.#count = depth;
  }
}

/** Options of a {@link SharedSemaphore}. */
export interface SharedSemaphoreOptions {
  /** The initial count. @default 1 */
  value?: number;
  /** Python's BoundedSemaphore: releasing past the initial count is an error. @default false */
  bounded?: boolean;
}

/** A counting semaphore (Python's Semaphore and BoundedSemaphore). */
export class SharedSemaphore extends SharedObject {
  readonly #initial: number;
  readonly #bounded: boolean;
  #value: number;
  readonly #waiters = new Waiters<undefined, true>();

  constructor(options: SharedSemaphoreOptions = {}) {
    super();
    const value = options.value ?? 1;
    if (!Number.isSafeInteger(value) || value < 0) throw new RpcError("ValueError", Number.isSafeInteger(value) ? "semaphore initial value must be >= 0" : `semaphore initial value must be an integer >= 0, got ${String(value)}`);
    this.#value = this.#initial = value;
    this.#bounded = options.bounded ?? false;
  }

  /** Takes one unit, waiting while none is left; false when none came within timeoutMs. */
  async acquire(options: BlockingOptions = {}): Promise<boolean> {
    const timeout = timeoutOf(options, "acquire");
    if (this.#value > 0) {
      this.#value--;
      return true;
    }
    if (options.block === false) return false;
    return (await this.#waiters.wait(undefined, timeout, signalOf(options))) !== TIMED_OUT;
  }

  /** Gives `n` units back, each to a waiter first. */
  release(n = 1): void {
    if (!Number.isSafeInteger(n) || n < 1) throw new RpcError("ValueError", `n must be one or more, got ${String(n)}`);
    if (this.#bounded && this.#value + n > this.#initial) throw new RpcError("ValueError", "Semaphore released too many times");
    for (let i = 0; i < n; i++) if (this.#waiters.handFirst(true) === undefined) this.#value++;
  }
}

/** Python's threading.Event: a flag that callers wait to see set. */
export class SharedEvent extends SharedObject {
  #set = false;
  readonly #waiters = new Waiters<undefined, true>();

  isSet(): boolean {
    return this.#set;
  }

  /** Sets the flag and wakes every waiter. */
  set(): void {
    this.#set = true;
    this.#waiters.handAll(true);
  }

  clear(): void {
    this.#set = false;
  }

  /** Waits for the flag; answers it (false when timeoutMs passed first). */
  async wait(options: Omit<BlockingOptions, "block"> = {}): Promise<boolean> {
    const timeout = timeoutOf(options, "wait");
    if (this.#set) return true;
    return (await this.#waiters.wait(undefined, timeout, signalOf(options))) !== TIMED_OUT;
  }
}

/** Python's threading.Condition over a lock (a new reentrant one by default); reached from Python clients only. */
export class SharedCondition extends SharedObject {
  readonly #waiters = new Waiters<undefined, true>();

  constructor(readonly lock: SharedLock = new SharedLock({ reentrant: true })) {
    super();
  }

  /** Releases the lock, waits for a notify (or timeoutMs), takes the lock back; false on timeout. */
  async wait(options: Omit<BlockingOptions, "block"> = {}): Promise<boolean> {
    const timeout = timeoutOf(options, "wait");
    const signal = signalOf(options);
    const owner = caller();
    const depth = this.lock.releaseAll();
    let notified: boolean;
    try {
      notified = (await this.#waiters.wait(undefined, timeout, signal)) !== TIMED_OUT;
    } finally {
      await this.lock.restore(owner, depth, signal);
    }
    return notified;
  }

  /** Wakes up to `n` waiters. */
  notify(n = 1): void {
    if (!this.lock.locked()) throw new RpcError("RuntimeError", "cannot notify on un-acquired lock");
    for (let i = 0; i < n && this.#waiters.handFirst(true) !== undefined; i++);
  }

  notifyAll(): void {
    this.notify(Number.MAX_SAFE_INTEGER);
  }
}
