/**
 * Calls this side made and is waiting on. One object per call holds its promise's
 * settlers, its deadline timer and its abort listener, so no closure is made per call
 * beyond the promise executor.
 */
import { RpcError } from "./errors.js";
import { IdMap } from "./id-map.js";

/** Implemented by the peer: how a pending call gives up. */
export interface CallCanceller {
  /** Forgets call `id`, tells the callee to stop, and rejects it with `error`. */
  abandon(id: number, error: RpcError): void;
}

/** What the module-level executor was last given: no executor closure is made per call. */
let lastResolve: ((value: unknown) => void) | undefined;
let lastReject: ((error: RpcError) => void) | undefined;
function capture(resolve: (value: unknown) => void, reject: (error: RpcError) => void): void {
  lastResolve = resolve;
  lastReject = reject;
}

/** The promise `call` settles: its settlers are stored on the call. */
export function promiseOf(call: PendingCall): Promise<unknown> {
  const promise = new Promise<unknown>(capture);
  call.resolve = lastResolve!;
  call.reject = lastReject!;
  return promise;
}

export class PendingCall {
  resolve!: (value: unknown) => void;
  reject!: (error: RpcError) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
  signal: AbortSignal | undefined;

  constructor(
    readonly id: number,
    readonly target: string,
    private readonly owner: CallCanceller,
  ) {}

  /** The AbortSignal listener (EventTarget calls handleEvent on listener objects). */
  handleEvent(): void {
    const reason = this.signal?.reason;
    const message = reason instanceof Error ? reason.message : "the call was aborted by its caller";
    this.owner.abandon(this.id, new RpcError("CANCELLED", `${this.target}: ${message}`));
  }

  /** Drops the timer and abort listener; called exactly once when the call settles. */
  dispose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.signal) this.signal.removeEventListener("abort", this);
  }
}

/** Fires a call's deadline. Module-level so that no closure is made per call. */
export function onDeadline(call: PendingCall, owner: CallCanceller, timeoutMs: number): void {
  call.timer = undefined;
  owner.abandon(call.id, new RpcError("DEADLINE_EXCEEDED", `${call.target}: no answer within ${timeoutMs} ms`));
}

const MAX_ID = 0x7fffffff;

/** The calls a session made and waits on, by id. */
export class PendingTable {
  private readonly calls = new IdMap<PendingCall>();
  private nextId = 1;

  get size(): number {
    return this.calls.size;
  }

  /** An id no call in flight uses (ids wrap at 2^31 - 1). */
  allocateId(): number {
    let id = this.nextId;
    while (this.calls.has(id)) id = id >= MAX_ID ? 1 : id + 1;
    this.nextId = id >= MAX_ID ? 1 : id + 1;
    return id;
  }

  add(call: PendingCall): void {
    this.calls.set(call.id, call);
  }

  /** Removes call `id` and drops its timer and listener; undefined when nobody waits on it. */
  take(id: number): PendingCall | undefined {
    const call = this.calls.take(id);
    if (!call) return undefined;
    call.dispose();
    return call;
  }

  /** Rejects every call with `reason` and forgets them. */
  rejectAll(reason: RpcError): void {
    const calls = this.calls.values();
    this.calls.clear();
    for (const call of calls) {
      call.dispose();
      call.reject(reason);
    }
  }
}
