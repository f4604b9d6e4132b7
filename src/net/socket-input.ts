/**
 * A dialed socket read into one buffer of its own (net's `onread`): no fresh buffer per read
 * and none of the stream machinery between the kernel's bytes and the frame reader. The
 * reader is told the buffer is reused and copies out what it keeps.
 */
import type { OnReadOpts } from "node:net";

/** The size of each read, as Node's own reads. */
const READ_BYTES = 64 * 1024;

export class SocketInput {
  readonly onread: OnReadOpts;
  private target: ((chunk: Buffer) => void) | undefined;
  /** Bytes that arrived before anyone read them, copied out of the reused buffer. */
  private early: Buffer[] = [];

  constructor() {
    const buffer = Buffer.allocUnsafeSlow(READ_BYTES);
    this.onread = {
      buffer,
      callback: (bytes: number): boolean => {
        const chunk = buffer.subarray(0, bytes);
        if (this.target) this.target(chunk);
        else this.early.push(Buffer.from(chunk));
        return true;
      },
    };
  }

  /**
   * Hands every later read to `target`, as a view of the reused buffer valid until it returns;
   * bytes that came before are handed over first (as buffers of their own).
   */
  read(target: (chunk: Buffer) => void): void {
    this.target = target;
    const early = this.early;
    this.early = [];
    for (const chunk of early) target(chunk);
  }
}
