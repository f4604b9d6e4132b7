/**
 * batch(): several calls sent as one unit. The callback receives a recording twin of the
 * remote: its calls and notifications are collected, not sent, while the callback runs
 * (synchronously), then handed to the caller together. Over HTTP that is one JSON-RPC batch
 * POST; over farcall/1 the calls leave in the same tick and share one write.
 */
import { RpcError } from "./errors.js";
import { makeRemote, stateOf, type BatchedCall, type Caller, type CallOptions } from "./remote.js";

/** The awaited element types of a tuple of promises (or plain values). */
export type BatchResults<T extends readonly unknown[]> = { -readonly [K in keyof T]: Awaited<T[K]> };

/** The Promise.allSettled-style outcome of each element of a batch. */
export type BatchOutcomes<T extends readonly unknown[]> = { -readonly [K in keyof T]: PromiseSettledResult<Awaited<T[K]>> };

/** Collects the calls made through a batch's remote until the batch is sent. */
class Recorder implements Caller {
  readonly calls: BatchedCall[] = [];
  sealed = false;

  call(target: string, args: unknown[], options: CallOptions): Promise<unknown> {
    if (this.sealed) return Promise.reject(late(target));
    return new Promise((resolve, reject) => this.calls.push({ kind: "call", target, args, options, resolve, reject }));
  }

  notify(target: string, args: unknown[], options: CallOptions, done?: (error?: RpcError) => void): void {
    if (this.sealed) {
      if (done) queueMicrotask(() => done(late(target)));
      return;
    }
    this.calls.push({ kind: "notify", target, args, options, done });
  }

  close(): Promise<void> {
    return Promise.reject(new TypeError("close() inside a batch: close the remote batch() was given instead"));
  }
}

function late(target: string): RpcError {
  return new RpcError("INVALID_REQUEST", `${target}: called through a batch's remote after the batch was sent (the callback must make its calls synchronously)`);
}

/** Runs `fn` against a recording remote, sends what it recorded, answers what `fn` returned. */
function run<R, T extends readonly unknown[]>(remote: R, fn: (r: R) => readonly [...T]): readonly [...T] {
  const state = stateOf(remote, "batch()");
  const recorder = new Recorder();
  let elements: readonly [...T];
  try {
    elements = fn(makeRemote(recorder, state.path, state.options) as R);
    if (!Array.isArray(elements)) throw new TypeError(`the batch() callback must return an array of calls, got ${typeof elements}`);
  } catch (err) {
    // Nothing is sent. The recorded calls stay pending rather than reject: only the callback
    // that threw ever held their promises, and rejecting them would be unhandled.
    recorder.sealed = true;
    throw err;
  }
  recorder.sealed = true;
  send(state.caller, recorder.calls);
  return elements;
}

function send(caller: Caller, calls: readonly BatchedCall[]): void {
  if (calls.length === 0) return;
  if (caller.batch) return caller.batch(calls);
  for (const c of calls) {
    if (c.kind === "call") caller.call(c.target, c.args, c.options).then(c.resolve, c.reject);
    else caller.notify(c.target, c.args, c.options, c.done);
  }
}

/**
 * Sends the calls `fn` makes through `r` as one batch and resolves to their results, in the
 * order `fn` returned them, each with its own type. Rejects with the first failure in that
 * order (every call still runs on the server; use {@link batchSettled} for all outcomes).
 * `notify(r.fn, args)` inside `fn` adds a notification. `fn` must make its calls
 * synchronously: a call through `r` after `fn` returned rejects with INVALID_REQUEST.
 * @example const [sum, value] = await batch(remote, (r) => [r.add(1, 2), r.kv.get("a")])
 */
export function batch<R, T extends readonly unknown[]>(remote: R, fn: (r: R) => readonly [...T]): Promise<BatchResults<T>> {
  try {
    return Promise.all(run(remote, fn)) as Promise<BatchResults<T>>;
  } catch (err) {
    return Promise.reject(err);
  }
}

/**
 * Like {@link batch}, but never rejects for a failing call: resolves to one
 * `{ status: "fulfilled", value }` or `{ status: "rejected", reason }` per element, as
 * Promise.allSettled does, since a JSON-RPC batch answers (and fails) per element.
 * @example const [a, b] = await batchSettled(remote, (r) => [r.add(1, 2), r.fail()])
 */
export function batchSettled<R, T extends readonly unknown[]>(remote: R, fn: (r: R) => readonly [...T]): Promise<BatchOutcomes<T>> {
  try {
    return Promise.allSettled(run(remote, fn)) as Promise<BatchOutcomes<T>>;
  } catch (err) {
    return Promise.reject(err);
  }
}
