/**
 * The importing side of a reference: the handle behind a remote function or object's proxy,
 * and the finalisers that give references back when the application lets go of them.
 */
import { RpcError } from "./errors.js";
import type { Caller, CallOptions } from "./remote.js";
import type { RefSession } from "./ref-session.js";

/** One imported function or object: the proxy's link back to the session. */
export class ImportedRef implements Caller {
  count = 1;
  released = false;

  constructor(
    readonly id: number,
    private readonly session: RefSession,
  ) {}

  call(target: string, args: unknown[], options: CallOptions): Promise<unknown> {
    if (this.released) return Promise.reject(this.session.endedWith ?? releasedError(this.id, target));
    return this.session.link.call(target, args, options);
  }

  notify(target: string, args: unknown[], options: CallOptions, done?: (error?: RpcError) => void): void {
    if (this.released) {
      if (done) queueMicrotask(() => done(this.session.endedWith ?? releasedError(this.id, target)));
      return;
    }
    this.session.link.notify(target, args, options, done);
  }

  /** Gives the reference back to its exporter; later calls reject with RELEASED. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.session.dropImport(this);
  }

  close(): Promise<void> {
    this.release();
    return Promise.resolve();
  }

  belongsTo(session: RefSession): boolean {
    return this.session === session;
  }
}

function releasedError(id: number, target: string): RpcError {
  return new RpcError("RELEASED", `${target}: reference ${id} was released`);
}

/** Collected proxies and streams give their receipts back (a closed session sends nothing). */
export const collected = new FinalizationRegistry<{ release(): void }>((held) => held.release());

/** Stops a stream whose consumer was collected before it finished. */
export class StreamCanceller {
  constructor(
    private readonly id: number,
    private readonly weak: WeakRef<object>,
    private readonly session: RefSession,
  ) {}

  release(): void {
    this.session.abandonStream(this.id, this.weak);
  }
}
