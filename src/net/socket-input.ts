/**
 * A dialed socket read into the process's one read buffer (net's `onread`): no fresh buffer
 * per read and none of the stream machinery between the kernel's bytes and the frame reader.
 * The reader is told the buffer is reused and copies out what it keeps.
 */
import type { OnReadOpts } from "node:net";

/** The size of each read, as Node's own reads. */
const READ_BYTES = 64 * 1024;
let shared: Buffer | undefined;

/**
 * The one read buffer of the process, for dialed and accepted sockets alike: libuv reads one
 * socket at a time and hands each read to JavaScript before the next, and every reader copies
 * out what it keeps before it returns, so no connection needs 64 KiB of its own.
 */
export function sharedReadBuffer(): Buffer {
  return (shared ??= Buffer.allocUnsafeSlow(READ_BYTES));
}

export class SocketInput {
  readonly onread: OnReadOpts;
  private target: ((chunk: Buffer, reused: boolean) => void) | undefined;
  private room: (() => Buffer | undefined) | undefined;
  /** Bytes that arrived before anyone read them, copied out of the reused buffer. */
  private early: Buffer[] = [];

  constructor() {
    const buffer = sharedReadBuffer();
    this.onread = {
      // Asked after every read: a large frame being filled is read into its own buffer.
      buffer: () => this.room?.() ?? buffer,
      callback: (bytes: number, into: Uint8Array): boolean => {
        const chunk = (into as Buffer).subarray(0, bytes);
        if (this.target) this.target(chunk, into === buffer);
        else this.early.push(Buffer.from(chunk));
        return true;
      },
    };
  }

  /**
   * Hands every later read to `target`, with `reused` when it is a view of the reused buffer
   * (valid until it returns) rather than of `room`'s; bytes that came before are handed
   * over first (as buffers of their own).
   */
  read(target: (chunk: Buffer, reused: boolean) => void, room?: () => Buffer | undefined): void {
    this.target = target;
    this.room = room;
    const early = this.early;
    this.early = [];
    for (const chunk of early) target(chunk, false);
  }
}
