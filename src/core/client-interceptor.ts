/**
 * Client-side interceptors: `connect(url, { use })` wraps the client's Caller so every
 * outgoing call, notification and batch member passes through them, whatever the protocol.
 */
import { RpcError } from "./errors.js";
import type { BatchedCall, Caller, CallOptions } from "./remote.js";

/** An outgoing call as a client interceptor sees it. */
export interface ClientCall {
  /** The method path called, e.g. "counter.inc". */
  readonly method: string;
  /** The arguments; an interceptor may replace them before calling `next()`. */
  params: unknown[];
  /** The call's options (timeout, signal, metadata); `meta` may be replaced before `next()`. */
  options: CallOptions;
  /** True for a notification: `next()` resolves once it was handed to the transport. */
  readonly notification: boolean;
}

/**
 * Client-side middleware: `next()` sends the call (through the interceptors after this one)
 * and resolves to its result. An interceptor may retry (call `next()` again), time, add
 * metadata, or fail the call without sending it. The first interceptor in `use` is the
 * outermost.
 */
export type ClientInterceptor = (call: ClientCall, next: () => Promise<unknown>) => unknown;

/** Checks connect()'s `use` option; undefined when there is nothing to wrap. */
export function checkClientInterceptors(use: unknown): readonly ClientInterceptor[] | undefined {
  if (use === undefined) return undefined;
  if (!Array.isArray(use) || use.some((fn) => typeof fn !== "function")) throw new TypeError("use must be an array of interceptor functions (call, next) => result");
  return use.length > 0 ? [...(use as ClientInterceptor[])] : undefined;
}

/** A Caller whose calls pass through `use` before they reach `inner`. */
export class InterceptingCaller implements Caller {
  /** Batch members that reached the transport in this turn; they travel as one batch. */
  private queued: BatchedCall[] | undefined;

  constructor(
    readonly inner: Caller,
    private readonly use: readonly ClientInterceptor[],
  ) {
    if (inner.batch) this.batch = (calls) => this.batchThrough(calls);
  }

  batch?: (calls: readonly BatchedCall[]) => void;

  call(target: string, args: unknown[], options: CallOptions): Promise<unknown> {
    return this.run({ method: target, params: args, options, notification: false }, (c) => this.inner.call(target, c.params, c.options));
  }

  notify(target: string, args: unknown[], options: CallOptions, done?: (error?: RpcError) => void): void {
    const sent = this.run({ method: target, params: args, options, notification: true }, (c) => new Promise<unknown>((resolve, reject) => this.inner.notify(target, c.params, c.options, (error) => (error ? reject(error) : resolve(undefined)))));
    sent.then(
      () => done?.(),
      (error: unknown) => done?.(RpcError.from(error)),
    );
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /** Each member passes through the interceptors; those that reach the end in one turn go together. */
  private batchThrough(calls: readonly BatchedCall[]): void {
    for (const member of calls) {
      const notification = member.kind === "notify";
      const outcome = this.run({ method: member.target, params: member.args, options: member.options, notification }, (c) =>
        new Promise<unknown>((resolve, reject) => {
          const out: BatchedCall = notification
            ? { kind: "notify", target: member.target, args: c.params, options: c.options, done: (error) => (error ? reject(error) : resolve(undefined)) }
            : { kind: "call", target: member.target, args: c.params, options: c.options, resolve, reject };
          this.enqueue(out);
        }),
      );
      if (member.kind === "call") outcome.then(member.resolve, member.reject);
      else outcome.then(() => member.done?.(), (error: unknown) => member.done?.(RpcError.from(error)));
    }
  }

  private enqueue(member: BatchedCall): void {
    if (this.queued) {
      this.queued.push(member);
      return;
    }
    this.queued = [member];
    queueMicrotask(() => {
      const members = this.queued!;
      this.queued = undefined;
      this.inner.batch!(members);
    });
  }

  private run(call: ClientCall, send: (call: ClientCall) => Promise<unknown>): Promise<unknown> {
    const use = this.use;
    const step = (i: number): Promise<unknown> => {
      try {
        // next() may be called again: that is how a client interceptor retries.
        return i === use.length ? send(call) : Promise.resolve(use[i]!(call, () => step(i + 1)));
      } catch (err) {
        return Promise.reject(err);
      }
    };
    return step(0);
  }
}
