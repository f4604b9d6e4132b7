/**
 * A WebSocket's share of the server's WriteBudget (maxServerWriteBufferBytes), as framing.ts
 * keeps it for TCP sessions: each message is charged as it is handed to `ws`, and credited
 * when `ws` reports it written to the kernel, in order (writes complete in order), or all
 * at once when the socket closes.
 */
import type { WriteBudget } from "../net/framing.js";

export class WriteCharge {
  /** Sizes of messages sent and not yet reported written, oldest at `head`. */
  private sizes: number[] = [];
  private head = 0;
  /** What this socket holds of `budget.used`. */
  private charged = 0;
  /** ws's send callback: one function per socket, not one per message. */
  readonly onSent = (): void => {
    if (this.head >= this.sizes.length) return;
    this.release(this.sizes[this.head++]!);
    if (this.head === this.sizes.length) {
      this.sizes.length = 0;
      this.head = 0;
    }
  };

  constructor(private readonly budget: WriteBudget) {}

  /** Why `bytes` more cannot be held for all peers now, or undefined when they can. */
  overLimit(bytes: number): string | undefined {
    const { used, max, option } = this.budget;
    return used + bytes > max ? `${used} B already queued for all peers + ${bytes} B exceed ${option} ${max}` : undefined;
  }

  /** Counts a message of `bytes` handed to ws with `onSent` as its callback. */
  charge(bytes: number): void {
    this.sizes.push(bytes);
    this.charged += bytes;
    this.budget.used += bytes;
  }

  /** The socket closed: whatever it still held goes back to the budget. */
  releaseAll(): void {
    this.release(this.charged);
  }

  private release(bytes: number): void {
    const n = Math.min(bytes, this.charged);
    this.charged -= n;
    this.budget.used -= n;
  }
}
