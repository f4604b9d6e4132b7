/**
 * A call this side is serving. It is the handler's context(): the AbortController and
 * deadline timer are only made if the handler reads `signal`, so a handler that never
 * looks pays for neither.
 */
import type { CallContext, PeerInfo } from "./context.js";
import { RpcError } from "./errors.js";
import { makeRemote, type Caller, type Remote } from "./remote.js";
import type { ImportedStream } from "./stream-import.js";

const NO_META: Readonly<Record<string, unknown>> = Object.freeze({});

export class IncomingCall implements CallContext {
  readonly meta: Readonly<Record<string, unknown>>;
  readonly deadline: number | undefined;
  /** Set when the call was cancelled or its peer left; no answer is sent then. */
  abandoned: RpcError | undefined;
  /** When the call arrived (callClock), set only when a call log is kept. */
  started = 0;
  /** Streams that arrived as arguments; those the handler never started reading end with it. */
  streams: ImportedStream[] | undefined;
  private controller: AbortController | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private back: Remote<unknown> | undefined;

  constructor(
    readonly id: number,
    readonly method: string,
    readonly peer: PeerInfo,
    metadata: Record<string, unknown> | undefined,
    deadline: number | undefined,
    private readonly caller?: Caller,
  ) {
    this.meta = metadata ?? NO_META;
    this.deadline = deadline;
  }

  remote<T>(): Remote<T> {
    if (!this.caller) throw new RpcError("UNAVAILABLE", `${this.method}: this protocol has no way to call the caller back (only farcall/1 sessions do)`);
    this.back ??= makeRemote(this.caller);
    return this.back as Remote<T>;
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.abandoned) {
        this.controller.abort(this.abandoned);
      } else if (this.deadline !== undefined) {
        const left = this.deadline - Date.now();
        if (left <= 0) this.abort(deadlineError(this));
        else this.timer = setTimeout(onIncomingDeadline, left, this);
      }
    }
    return this.controller.signal;
  }

  /** Marks the call abandoned and aborts its signal if anyone is listening. */
  abort(reason: RpcError): void {
    if (this.abandoned) return;
    this.abandoned = reason;
    this.clearTimer();
    this.controller?.abort(reason);
    // A handler reading an argument stream is reached even if it never looks at its signal.
    if (this.streams) for (const s of this.streams) s.fail(reason);
  }

  /** Arms the deadline even for a handler that never reads `signal`, so its argument streams end with it. */
  watchDeadline(): void {
    if (this.deadline !== undefined) void this.signal;
  }

  /** Releases the deadline timer once the handler has finished, and unread argument streams. */
  finish(): void {
    this.clearTimer();
    if (this.streams) for (const s of this.streams) if (!s.consuming) void s.return();
  }

  private clearTimer(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }
}

function deadlineError(call: IncomingCall): RpcError {
  return new RpcError("DEADLINE_EXCEEDED", `${call.method}: the caller's deadline passed`);
}

function onIncomingDeadline(call: IncomingCall): void {
  call.abort(deadlineError(call));
}
