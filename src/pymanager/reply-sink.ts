/**
 * The outcome of one call run through the pipeline, for the manager protocol's strict
 * request-then-reply: read at once when the handler was synchronous (a dict's `__getitem__`
 * answers in the same turn, with no Promise made), or awaited when it was not (a Queue's
 * `get` that waits).
 */
import type { CallSink } from "../core/pipeline.js";
import type { IncomingCall } from "../core/incoming-call.js";

export class ReplySink implements CallSink {
  inFlight = 0;
  readonly maxInFlight = Number.POSITIVE_INFINITY;
  readonly scope = "this manager connection";
  done = false;
  failed = false;
  value: unknown;
  private resolve: ((value: unknown) => void) | undefined;
  private reject: ((error: unknown) => void) | undefined;

  settled(_call: IncomingCall, value: unknown, error: unknown, failed: boolean): void {
    this.done = true;
    this.failed = failed;
    this.value = failed ? error : value;
    if (this.resolve === undefined) return;
    if (failed) this.reject!(error);
    else this.resolve(value);
  }

  /** The outcome as a Promise, for a call that did not settle synchronously. */
  later(): Promise<unknown> {
    if (this.done) return this.failed ? Promise.reject(this.value) : Promise.resolve(this.value);
    return new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }
}
