/**
 * A call this side is serving. It is the handler's context(): the AbortController and
 * deadline timer are only made if the handler reads `signal`, so a handler that never
 * looks pays for neither.
 */
import type { PeerInfo } from "./context.js";
import type { MethodEntry } from "./dispatcher.js";
import { runtime } from "./runtime.js";
import { RpcError } from "./errors.js";
import type { ServerCall } from "./pipeline.js";
import { makeRemote, type Caller, type Remote } from "./remote.js";
import type { ImportedStream } from "./stream-import.js";

const NO_META: Readonly<Record<string, unknown>> = Object.freeze({});

export class IncomingCall implements ServerCall {
  readonly meta: Readonly<Record<string, unknown>>;
  readonly deadline: number | undefined;
  /** The method, when the session resolved it itself (a reference it exported). */
  entry: MethodEntry | undefined;
  /** Set when the call was cancelled or its peer left; no answer is sent then. */
  abandoned: RpcError | undefined;
  /** When the call arrived (callClock), set only when a call log is kept. */
  started = 0;
  /** Streams that arrived as arguments; those the handler never started reading end with it. */
  streams: ImportedStream[] | undefined;
  private controller: AbortController | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private back: Remote<unknown> | undefined;
  private followed: AbortSignal | undefined;
  /** The request this call came in, followed only once someone reads `signal`. */
  origin: CallOrigin | undefined;
  /** The handler has settled: a deadline timer would outlive the call. */
  private finished = false;

  /**
   * @param protocol what brought the call: "farcall/1", "jsonrpc", "xmlrpc", "pymanager"
   * @param id the caller's id for the call (0 where the protocol has none)
   * @param caller the way back to the caller, on sessions that have one
   */
  constructor(
    readonly protocol: string,
    readonly id: number,
    readonly method: string,
    public params: unknown[],
    readonly peer: PeerInfo,
    metadata: Record<string, unknown> | undefined,
    deadline: number | undefined,
    private readonly caller?: Caller,
    readonly notification = false,
  ) {
    this.meta = metadata ?? NO_META;
    this.deadline = deadline;
  }

  /** Aborts the call (CANCELLED) when `signal` does: an HTTP client that went away, say. */
  follow(signal: AbortSignal): void {
    if (signal.aborted) this.abort(new RpcError("CANCELLED", "the caller went away"));
    else signal.addEventListener("abort", this, { once: true });
    this.followed = signal;
  }

  /** EventListener: the signal given to follow() aborted. */
  handleEvent(): void {
    this.abort(new RpcError("CANCELLED", "the caller went away"));
  }

  remote<T>(): Remote<T> {
    if (!this.caller) throw new RpcError("UNAVAILABLE", `${this.method}: this protocol has no way to call the caller back (only farcall/1 sessions do)`);
    this.back ??= makeRemote(this.caller);
    return this.back as Remote<T>;
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      runtime.unlimitListeners?.(this.controller.signal);
      const followed = this.origin?.signal;
      if (followed && !this.finished) this.follow(followed);
      if (this.abandoned) {
        this.controller.abort(this.abandoned);
      } else if (this.deadline !== undefined && !this.finished) {
        // A signal read after the call finished (by an interceptor, or code that kept the
        // context) arms no timer: nothing is left to stop, and it would outlive the call.
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
    this.finished = true;
    this.clearTimer();
    // A caller that left while a handler ran without reading its signal: still an abandoned call.
    const origin = this.origin;
    if (origin && !this.abandoned && (origin.aborted ?? origin.signal?.aborted) === true) this.abandoned = new RpcError("CANCELLED", "the caller went away");
    if (this.followed) {
      this.followed.removeEventListener("abort", this);
      this.followed = undefined;
    }
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

/** Where the calls of one request come from, for adapters that run several calls per request (HTTP, a JSON-RPC batch). */
export interface CallOrigin {
  readonly peer: PeerInfo;
  /** Aborts every call of the request (the client went away). Read only when a handler reads its own signal. */
  readonly signal?: AbortSignal | undefined;
  /** True once the client went away, where that can be told without making `signal`. */
  readonly aborted?: boolean | undefined;
  /** The request's metadata, for context().meta. */
  readonly meta?: Record<string, unknown> | undefined;
  /** The request's absolute deadline (ms since the epoch, local clock). */
  readonly deadline?: number | undefined;
}

/**
 * A call of `origin`'s request. Its signal follows the request's, linked only when a handler
 * reads it: a listener (and, over HTTP, an AbortController) per call is paid for by handlers
 * that look, not by every call.
 */
export function callFrom(protocol: string, origin: CallOrigin, method: string, params: unknown[], notification = false): IncomingCall {
  const call = new IncomingCall(protocol, 0, method, params, origin.peer, origin.meta, origin.deadline, undefined, notification);
  call.origin = origin;
  return call;
}
