/**
 * The call pipeline: what happens to every incoming call, whatever protocol brought it.
 * A protocol adapter turns its document into an {@link IncomingCall} and hands it here; the
 * pipeline looks the method up, holds the in-flight limit, runs the interceptors and the
 * handler as the call's context() (the handler behind its argument checks, innermost:
 * core/call-check.ts), applies the deadline to the outcome, writes the call log,
 * and reports the outcome once to the adapter's {@link CallSink}, which turns it back into a
 * document. No protocol writes any of these steps itself, so none can drift.
 *
 * The path stays synchronous where it can: without interceptors a synchronous handler is
 * answered in the same turn, with no Promise made.
 */
import { CallCheck } from "./call-check.js";
import { callClock, outcomeOf, writeCallLog, type CallLog } from "./call-log.js";
import { isThenable } from "./call-meta.js";
import { runInContext, type CallContext } from "./context.js";
import { Dispatcher, type MethodEntry } from "./dispatcher.js";
import { RpcError } from "./errors.js";
import type { IncomingCall } from "./incoming-call.js";
import type { Logger } from "./logger.js";

/** A call as an interceptor sees it: its context(), with its arguments. */
export interface ServerCall extends CallContext {
  /** The arguments, positional. An interceptor may replace them before calling `next()`. */
  params: unknown[];
  /** True for a notification: whatever the call returns, nobody is answered. */
  readonly notification: boolean;
}

/**
 * Server-side middleware: sees every call, over every protocol and transport, before its
 * handler runs and after it returns. `next()` runs the rest of the chain and the handler and
 * resolves to the result; an interceptor may return something else instead, or throw (an
 * `RpcError` reaches the caller with its code, in its protocol's own error form) without
 * calling `next()`. The first interceptor in `use` is the outermost.
 * @example const timing: Interceptor = async (call, next) => { const t = performance.now(); try { return await next(); } finally { console.log(call.method, performance.now() - t); } };
 */
export type Interceptor = (call: ServerCall, next: () => Promise<unknown>) => unknown;

/** Where the outcome of a dispatched call goes: the adapter that received it. */
export interface CallSink {
  /** Calls of this sink running now; the pipeline counts them. */
  inFlight: number;
  /** Most calls of this sink that may run at once; more are refused RESOURCE_EXHAUSTED. */
  readonly maxInFlight: number;
  /** What `maxInFlight` counts, for the refusal's message ("this connection", "instance x"). */
  readonly scope: string;
  /**
   * Called exactly once per call given to {@link CallPipeline.dispatch} or
   * {@link CallPipeline.refuse}. `error` is what was thrown, not yet mapped: the adapter
   * chooses the form (an RpcError payload with or without stacks, a fault, a traceback).
   */
  settled(call: IncomingCall, value: unknown, error: unknown, failed: boolean): void;
}

/** The settings of a pipeline; the defaults are those of serve(). */
export interface PipelineOptions {
  /** What the pipeline serves; without one every call is METHOD_NOT_FOUND. */
  dispatcher?: Dispatcher | undefined;
  /** Interceptors, outermost first. */
  use?: readonly Interceptor[] | undefined;
  /** Gets one entry per call; without it no clock is read. */
  callLog?: CallLog | undefined;
  logger: Logger;
  /**
   * Calls in flight over every sink of this pipeline and those derived from it (a server's
   * maxServerCallsInFlight), checked beside each sink's own limit. @default none
   */
  limit?: CallLimit | undefined;
}

const UNLIMITED_SCOPE = "this request";

/** An in-flight limit shared by the calls of one scope (a connection, an instance). */
export class CallLimit {
  inFlight = 0;
  constructor(
    readonly maxInFlight: number,
    /** What the limit counts, for the refusal's message: "this connection". */
    readonly scope: string,
  ) {}
}

export class CallPipeline {
  readonly dispatcher: Dispatcher | undefined;
  private readonly use: readonly Interceptor[] | undefined;
  private readonly callLog: CallLog | undefined;
  private readonly logger: Logger;
  private readonly limit: CallLimit | undefined;

  constructor(options: PipelineOptions) {
    this.dispatcher = options.dispatcher;
    const use = options.use ?? [];
    if (!Array.isArray(use) || use.some((fn) => typeof fn !== "function")) throw new TypeError("use must be an array of interceptor functions (call, next) => result");
    this.use = use.length > 0 ? [...use] : undefined;
    this.callLog = options.callLog;
    if (this.callLog !== undefined && typeof this.callLog !== "function") throw new TypeError("callLog must be a function (entry) => void");
    this.logger = options.logger;
    this.limit = options.limit;
  }

  /**
   * This pipeline with some settings changed: `use` runs inside this pipeline's own
   * interceptors (a listener's, inside the server's); a `dispatcher` key replaces the
   * dispatcher (undefined for a session that answers calls on its references only).
   */
  derive(changes: { use?: readonly Interceptor[] | undefined; dispatcher?: Dispatcher | undefined }): CallPipeline {
    return new CallPipeline({
      dispatcher: "dispatcher" in changes ? changes.dispatcher : this.dispatcher,
      use: [...(this.use ?? []), ...(changes.use ?? [])],
      callLog: this.callLog,
      logger: this.logger,
      limit: this.limit,
    });
  }

  /**
   * Runs `call` and reports its outcome to `sink` once: synchronously for a synchronous
   * handler without interceptors, else when the handler settles. A method named by a
   * reference the session exported comes resolved in `call.entry`; any other name is looked
   * up in the dispatcher.
   */
  dispatch(call: IncomingCall, sink: CallSink): void {
    if (this.callLog) call.started = callClock();
    const limit = this.limit;
    const full = reached(sink, "maxCallsInFlight") ?? (limit && reached(limit, "maxServerCallsInFlight"));
    if (full) return this.refuse(call, full, sink);
    const entry = call.entry ?? this.dispatcher?.lookup(call.method);
    if (entry === undefined) return this.refuse(call, new RpcError("METHOD_NOT_FOUND", `no method ${JSON.stringify(call.method)}`), sink);
    sink.inFlight++;
    if (limit) limit.inFlight++;
    let result: unknown;
    try {
      result =
        this.use === undefined
          ? entry.check === undefined
            ? runInContext(call, entry.fn, entry.self, call.params)
            : runInContext(call, checkedRun, entry.check, [entry, call.params])
          : runInContext(call, intercepted as (...args: unknown[]) => Promise<unknown>, this.use, [call, entry]);
    } catch (err) {
      this.failed(call, sink, entry, err);
      return;
    }
    if (isThenable(result)) {
      result.then(
        (value) => this.finish(call, sink, value, undefined, false),
        (err: unknown) => this.failed(call, sink, entry, err),
      );
    } else {
      this.finish(call, sink, result, undefined, false);
    }
  }

  /**
   * Fails `call` before any handler runs (the protocol or the session refused it): the call
   * log hears of it and `sink` is told, as for a call that ran.
   */
  refuse(call: IncomingCall, error: RpcError, sink: CallSink): void {
    if (this.callLog) {
      if (call.started === 0) call.started = callClock();
      writeCallLog(this.callLog, this.logger, call.protocol, call.peer, call.method, call.started, error.code, call.notification);
    }
    sink.settled(call, undefined, error, true);
  }

  /** {@link refuse} as a Promise that rejects with `error`, for adapters that answer one request at a time. */
  refusal(call: IncomingCall, error: RpcError): Promise<never> {
    return new Promise<never>((_resolve, reject) => this.refuse(call, error, new PromiseSink(() => {}, reject)));
  }

  /**
   * Runs `call` as a Promise, for adapters that answer one request at a time (HTTP,
   * XML-RPC, the manager protocol): resolves with the result, rejects with what was thrown.
   * Calls given the same `limit` share its maxInFlight (a connection's, say).
   */
  invoke(call: IncomingCall, limit?: CallLimit): Promise<unknown> {
    return new Promise((resolve, reject) => this.dispatch(call, new PromiseSink(resolve, reject, limit)));
  }

  /**
   * A handler failed. An application code its method does not declare still reaches the
   * caller (a contract is a promise to callers, not a filter), but the log names it.
   */
  private failed(call: IncomingCall, sink: CallSink, entry: MethodEntry, err: unknown): void {
    if (entry.check?.undeclared(err)) this.logger.warn(`${call.method} threw ${String((err as RpcError).code)}, a code its describeMethod errors do not declare`);
    this.finish(call, sink, undefined, err, true);
  }

  private finish(call: IncomingCall, sink: CallSink, value: unknown, error: unknown, failed: boolean): void {
    sink.inFlight--;
    if (this.limit) this.limit.inFlight--;
    call.finish();
    if (call.abandoned?.code === "DEADLINE_EXCEEDED") {
      // The deadline passed while it ran: whatever the handler made of it, that is the outcome.
      failed = true;
      error = call.abandoned;
    }
    if (this.callLog) {
      const outcome = call.abandoned ? call.abandoned.code : outcomeOf(failed, error);
      writeCallLog(this.callLog, this.logger, call.protocol, call.peer, call.method, call.started, outcome, call.notification);
    }
    sink.settled(call, value, error, failed);
  }
}

/** RESOURCE_EXHAUSTED naming `option` when `limit` has no room for one more call. */
function reached(limit: { readonly inFlight: number; readonly maxInFlight: number; readonly scope: string }, option: string): RpcError | undefined {
  if (limit.inFlight < limit.maxInFlight) return undefined;
  return new RpcError("RESOURCE_EXHAUSTED", `${limit.inFlight} calls in flight on ${limit.scope} reach ${option} ${limit.maxInFlight}`);
}

/** The limit of sinks that have none: shared, since it never refuses, so no call allocates one. */
const UNLIMITED = new CallLimit(Number.POSITIVE_INFINITY, UNLIMITED_SCOPE);

/** A sink with no limit of its own that settles one Promise. */
class PromiseSink implements CallSink {
  constructor(
    private readonly resolve: (value: unknown) => void,
    private readonly reject: (error: unknown) => void,
    private readonly limit: CallLimit = UNLIMITED,
  ) {}
  get inFlight(): number {
    return this.limit.inFlight;
  }
  set inFlight(n: number) {
    this.limit.inFlight = n;
  }
  get maxInFlight(): number {
    return this.limit.maxInFlight;
  }
  get scope(): string {
    return this.limit.scope;
  }
  settled(_call: IncomingCall, value: unknown, error: unknown, failed: boolean): void {
    if (failed) this.reject(error);
    else this.resolve(value);
  }
}

/** The handler behind its checks (core/call-check.ts); called as the call's context(). */
const checkedRun = CallCheck.prototype.run as (...args: unknown[]) => unknown;

/** Runs the interceptors around the handler; called as the call's context(). */
function intercepted(this: readonly Interceptor[], call: IncomingCall, entry: MethodEntry): Promise<unknown> {
  const use = this;
  const step = (i: number): Promise<unknown> => {
    try {
      if (i === use.length) return Promise.resolve(entry.check === undefined ? entry.fn.apply(entry.self, call.params) : entry.check.run(entry, call.params));
      let called = false;
      return Promise.resolve(
        use[i]!(call, () => {
          if (called) return Promise.reject(new RpcError("INTERNAL", `an interceptor called next() twice for ${call.method}`));
          called = true;
          return step(i + 1);
        }),
      );
    } catch (err) {
      return Promise.reject(err);
    }
  };
  return step(0);
}

/** The pipeline of a client: it serves what connect()'s `expose` names, or nothing. */
export function exposedPipeline(expose: object | undefined, logger: Logger): CallPipeline {
  return new CallPipeline({ dispatcher: expose !== undefined ? new Dispatcher(expose) : undefined, logger });
}
