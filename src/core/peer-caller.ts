/**
 * A session seen from the outside: as a Caller (what context().remote() and imported
 * references call through) and as the link its reference table sends through.
 */
import type { ErrorPayload, RpcError } from "./errors.js";
import * as M from "./messages.js";
import type { Peer } from "./peer.js";
import type { RefLink } from "./ref-session.js";
import type { Caller, CallOptions } from "./remote.js";

/** The session as seen by a remote proxy: context().remote() and imported references. */
export class PeerCaller implements Caller {
  constructor(private readonly peer: Peer) {}

  call(target: string, args: unknown[], options: CallOptions): Promise<unknown> {
    const timeout = options.timeout;
    return this.peer.call(target, args, timeout ? Date.now() + timeout : undefined, options.signal, options.meta);
  }

  notify(target: string, args: unknown[], options: CallOptions, done?: (error?: RpcError) => void): void {
    this.peer.notify(target, args, options.meta, done);
  }

  close(): Promise<void> {
    this.peer.close();
    return Promise.resolve();
  }
}

/** What the reference table sends through its peer. */
export class PeerRefLink extends PeerCaller implements RefLink {
  constructor(private readonly session: Peer) {
    super(session);
  }

  next(id: number, value: unknown): void {
    this.session.sendIfOpen([M.NEXT, id, value]);
  }

  room(): Promise<void> | undefined {
    return this.session.room();
  }

  end(id: number, error?: ErrorPayload): void {
    this.session.sendIfOpen(error ? [M.END, id, error] : [M.END, id]);
  }

  errorPayload(error: unknown): ErrorPayload {
    return this.session.errorPayload(error);
  }

  credit(id: number, n: number): void {
    this.session.sendIfOpen([M.CREDIT, id, n]);
  }

  streamsEnded(): void {
    this.session.checkIdle();
  }

  release(id: number, count: number): void {
    this.session.sendIfOpen([M.RELEASE, id, count]);
  }
}
