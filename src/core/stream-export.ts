/**
 * The producing end of a stream: pulls from a local async iterable only as far as the
 * consumer has granted credit, so a slow consumer bounds what the producer makes. When the
 * consumer stops, or the session ends, the iterator's `return()` runs, so an async
 * generator's `finally` blocks run too.
 */
import type { ErrorPayload } from "./errors.js";

/** Most credit a consumer may hold at once; a larger grant is clamped. */
const MAX_CREDIT = 1 << 16;

/** What a producer needs from its session. */
export interface StreamOutlet {
  /** Sends one item; throws when the item cannot be encoded. */
  next(id: number, value: unknown): void;
  /** Undefined while the connection takes more; else settles once it drained. */
  room(): Promise<void> | undefined;
  end(id: number, error?: ErrorPayload): void;
  errorPayload(error: unknown): ErrorPayload;
  /** The stream is over on this side: forget it. */
  finished(id: number): void;
}

export class ExportedStream {
  private iterator: AsyncIterator<unknown> | undefined;
  private credit = 0;
  private pumping = false;
  private done = false;

  constructor(
    readonly id: number,
    private readonly source: AsyncIterable<unknown>,
    private readonly outlet: StreamOutlet,
  ) {}

  /** The consumer granted `n` more items (0: it stopped). */
  grant(n: number): void {
    if (this.done) return;
    if (n === 0) return this.cancel();
    this.credit = Math.min(MAX_CREDIT, this.credit + n);
    if (!this.pumping) void this.pump();
  }

  /** Stops producing and lets the source clean up; nothing more is sent. */
  cancel(): void {
    if (this.done) return;
    this.done = true;
    this.outlet.finished(this.id);
    let it = this.iterator;
    try {
      it ??= this.source[Symbol.asyncIterator]();
      const closing = it.return?.();
      if (closing) Promise.resolve(closing).catch(ignore);
    } catch {
      // a source that throws while closing has nothing left to clean up for us
    }
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      this.iterator ??= this.source[Symbol.asyncIterator]();
      while (this.credit > 0 && !this.done) {
        const step = await this.iterator.next();
        if (this.done) return;
        if (step.done) return this.finish();
        this.credit--;
        this.outlet.next(this.id, step.value);
        // Credit bounds what the consumer holds; this bounds what waits in our own buffers.
        const room = this.outlet.room();
        if (room) await room;
      }
    } catch (err) {
      if (!this.done) this.finish(this.outlet.errorPayload(err));
    } finally {
      this.pumping = false;
    }
  }

  private finish(error?: ErrorPayload): void {
    this.done = true;
    this.outlet.finished(this.id);
    this.outlet.end(this.id, error);
    // A source that failed to encode an item is still open: close it.
    if (error && this.iterator?.return) Promise.resolve(this.iterator.return()).catch(ignore);
  }
}

function ignore(): void {}
