/**
 * Callers parked until something is handed to them: a queue's getters waiting for an item,
 * a lock's acquirers waiting for ownership. Each waiter leaves on its own when its timeout
 * passes (resolving TIMED_OUT) or its signal aborts (rejecting with the signal's reason: the
 * caller cancelled or its connection closed), so nothing is ever handed to a caller that
 * has gone. Waiters are served first come, first served.
 */
import { currentCall } from "../../core/context.js";
import { RpcError } from "../../core/errors.js";

/** What a wait resolves with when its timeout passed first. */
export const TIMED_OUT: unique symbol = Symbol("timed out");

/** setTimeout's own limit; a longer wait is a wait without a timer. */
const MAX_TIMER_MS = 2_147_483_647;

interface Waiter<P, R> {
  readonly payload: P;
  resolve(value: R | typeof TIMED_OUT): void;
  reject(error: unknown): void;
  timer: ReturnType<typeof setTimeout> | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/** A first-come, first-served line of waiters, each carrying a payload P and resolved with an R. */
export class Waiters<P, R> {
  // A Set keeps insertion order and removes a waiter that leaves from the middle in O(1).
  private readonly line = new Set<Waiter<P, R>>();

  get size(): number {
    return this.line.size;
  }

  /**
   * Waits to be handed an R. `timeoutMs` undefined waits for ever; the promise resolves
   * TIMED_OUT when the time passed, rejects when `signal` aborts.
   */
  wait(payload: P, timeoutMs: number | undefined, signal: AbortSignal | undefined): Promise<R | typeof TIMED_OUT> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    return new Promise<R | typeof TIMED_OUT>((resolve, reject) => {
      const waiter: Waiter<P, R> = { payload, resolve, reject, timer: undefined, signal, onAbort: undefined };
      if (timeoutMs !== undefined && timeoutMs <= MAX_TIMER_MS) {
        // Node may fire a timer up to a millisecond early; a wait is never shorter than asked.
        waiter.timer = setTimeout(() => this.leave(waiter, TIMED_OUT), Math.ceil(Math.max(0, timeoutMs)) + 1);
      }
      if (signal) {
        waiter.onAbort = () => this.leave(waiter, undefined, abortReason(signal));
        signal.addEventListener("abort", waiter.onAbort, { once: true });
      }
      this.line.add(waiter);
    });
  }

  /** The payload of the first waiter, if any. */
  peek(): P | undefined {
    for (const waiter of this.line) return waiter.payload;
    return undefined;
  }

  /** Hands `value` to the first waiter and returns its payload; undefined (and nothing handed) when none waits. */
  handFirst(value: R): { payload: P } | undefined {
    for (const waiter of this.line) {
      this.leave(waiter, value);
      return { payload: waiter.payload };
    }
    return undefined;
  }

  /** Hands `value` to every waiter. */
  handAll(value: R): void {
    for (const waiter of [...this.line]) this.leave(waiter, value);
  }

  /** Hands every waiter the value `valueOf` makes of its payload. */
  handEach(valueOf: (payload: P) => R): void {
    for (const waiter of [...this.line]) this.leave(waiter, valueOf(waiter.payload));
  }

  private leave(waiter: Waiter<P, R>, value: R | typeof TIMED_OUT | undefined, error?: unknown): void {
    if (!this.line.delete(waiter)) return;
    clearTimeout(waiter.timer);
    if (waiter.onAbort) waiter.signal?.removeEventListener("abort", waiter.onAbort);
    if (error !== undefined) waiter.reject(error);
    else waiter.resolve(value as R | typeof TIMED_OUT);
  }
}

function abortReason(signal: AbortSignal): unknown {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new RpcError("CANCELLED", "the wait was cancelled");
}

/** How a call that may block waits. */
export interface BlockingOptions {
  /** false: answer at once (a queue's get_nowait, a lock's try-acquire). @default true */
  block?: boolean;
  /** Longest wait in milliseconds. @default no limit */
  timeoutMs?: number;
  /** Ends the wait (rejecting) when it aborts. @default the signal of the call being served, when there is one */
  signal?: AbortSignal;
}

/** The checked timeout of `options`, for `what` in messages. */
export function timeoutOf(options: BlockingOptions, what: string): number | undefined {
  if (typeof options !== "object" || options === null) throw new RpcError("INVALID_PARAMS", `${what}: options must be an object such as { timeoutMs: 1000 }, got ${String(options)}`);
  const t = options.timeoutMs;
  if (t === undefined || t === null) return undefined;
  if (typeof t !== "number" || !(t >= 0)) throw new RpcError("INVALID_PARAMS", `${what}: timeoutMs must be a non-negative number of milliseconds, got ${String(t)}`);
  return t;
}

/** The signal a wait follows: the caller's own, else the served call's (its caller left, its connection closed). */
export function signalOf(options: BlockingOptions): AbortSignal | undefined {
  // Options that came over the wire are data: only a real AbortSignal is followed.
  return options.signal instanceof AbortSignal ? options.signal : currentCall()?.signal;
}

/** Most items a shared queue, list or dict holds, so a client cannot grow the server without bound. */
export const MAX_SHARED_ITEMS = 1_000_000;

/** RESOURCE_EXHAUSTED for a container that would pass MAX_SHARED_ITEMS. */
export function tooManyItems(what: string, size: number): RpcError {
  return new RpcError("RESOURCE_EXHAUSTED", `${what} holds ${size} items, the most a shared object holds is ${MAX_SHARED_ITEMS}`);
}
