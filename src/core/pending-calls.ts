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
export class PendingTable extends IdMap<PendingCall> {
  private nextId = 1;

  /** An id no call in flight uses (ids wrap at 2^31 - 1). */
  allocateId(): number {
    let id = this.nextId;
    while (this.get(id)) id = id >= MAX_ID ? 1 : id + 1;
    this.nextId = id >= MAX_ID ? 1 : id + 1;
    return id;
  }

  /** Removes call `id` and drops its timer and listener; undefined when nobody waits on it. */
  override take(id: number): PendingCall | undefined {
    const call = super.take(id);
    call?.dispose();
    return call;
  }

  /** Rejects every call with `reason` and forgets them. */
  rejectAll(reason: RpcError): void {
    for (const call of this.drain()) {
      call.dispose();
      call.reject(reason);
    }
  }
}
