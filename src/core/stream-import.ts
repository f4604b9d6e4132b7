/**
 * The consuming end of a stream: an async iterator over items the producer sends. Credit
 * bounds what is buffered here: the producer may send only as many items as were granted,
 * and more are granted as the consumer takes them, so a slow consumer slows the producer
 * instead of growing our memory.
 *
 * The window (items granted and not yet taken) adapts to the size of the items: about
 * {@link STREAM_WINDOW_BYTES} of them, between 2 and {@link MAX_STREAM_WINDOW} items. Small
 * items get a wide window, so the producer never waits for a grant's round trip; large ones
 * a narrow one, so memory stays bounded.
 */
import { RpcError } from "./errors.js";
import { DISPOSE, type RemoteStream } from "./ref.js";

/** Items granted before the first item shows how large they are. */
export const STREAM_WINDOW = 16;
/** Most items granted and not yet taken, whatever their size. */
export const MAX_STREAM_WINDOW = 64;
/** Bytes of items the window aims to hold. */
export const STREAM_WINDOW_BYTES = 1024 * 1024;
const MIN_STREAM_WINDOW = 2;

/** What a stream needs from its session. */
export interface StreamChannel {
  /** Grants `n` more items; 0 tells the producer to stop. */
  credit(id: number, n: number): void;
  /** The stream is over on this side: forget it. */
  forget(id: number): void;
  /**
   * Holds `stream` strongly while its consumer waits for an item (`waiting`), and lets go
   * after. A waiting consumer is reachable only through the stream itself (the stream holds
   * its resolver, the resolver its loop), so without this hold the garbage collector could
   * take the whole loop, and the stream's finaliser would stop the producer mid-read.
   */
  hold(stream: ImportedStream, waiting: boolean): void;
}

interface Waiter {
  resolve(result: IteratorResult<unknown>): void;
  reject(error: unknown): void;
}

export class ImportedStream implements RemoteStream<unknown> {
  private readonly buffer: unknown[] = [];
  private readonly waiters: Waiter[] = [];
  private started = false;
  /** Items granted and not yet received. */
  private outstanding = 0;
  /** Average encoded size of the items so far (0 before the first). */
  private itemBytes = 0;
  /** Set once the producer ended (undefined error) or failed, or the consumer stopped. */
  private ended = false;
  private failure: RpcError | undefined;

  constructor(
    readonly id: number,
    private readonly channel: StreamChannel,
  ) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<unknown>> {
    if (this.buffer.length > 0) {
      const value = this.buffer.shift();
      this.took();
      return Promise.resolve({ value, done: false });
    }
    if (this.ended) return this.failure ? Promise.reject(this.failure) : Promise.resolve({ value: undefined, done: true });
    if (!this.started) {
      this.started = true;
      this.outstanding = STREAM_WINDOW;
      this.channel.credit(this.id, STREAM_WINDOW);
    }
    if (this.waiters.length === 0) this.channel.hold(this, true);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Stops the producer (its `finally` runs) and ends the iteration. */
  return(value?: unknown): Promise<IteratorResult<unknown>> {
    this.stop();
    return Promise.resolve({ value, done: true });
  }

  throw(error?: unknown): Promise<IteratorResult<unknown>> {
    this.stop();
    return Promise.reject(error);
  }

  [DISPOSE](): void {
    this.stop();
  }

  /** True once the consumer started reading. */
  get consuming(): boolean {
    return this.started;
  }

  /** An item of `bytes` encoded bytes arrived. False when the producer sent more than it was granted. */
  push(value: unknown, bytes: number): boolean {
    if (this.ended) return true; // stopped here; the producer has not heard yet
    if (this.outstanding <= 0) return false;
    this.outstanding--;
    this.itemBytes = this.itemBytes === 0 ? bytes : (this.itemBytes * 7 + bytes) / 8;
    const waiter = this.waiters.shift();
    if (waiter) {
      if (this.waiters.length === 0) this.channel.hold(this, false);
      this.took();
      waiter.resolve({ value, done: false });
    } else {
      this.buffer.push(value);
    }
    return true;
  }

  /** The producer finished, or the session ended (`error`). Buffered items are still read. */
  end(error?: RpcError): void {
    if (this.ended) return;
    this.ended = true;
    this.failure = error;
    this.channel.forget(this.id);
    this.channel.hold(this, false);
    for (const w of this.waiters.splice(0)) {
      if (error) w.reject(error);
      else w.resolve({ value: undefined, done: true });
    }
  }

  /** The call this stream was passed to ended (cancelled, deadline, disconnect): stop the producer and fail the reader. */
  fail(error: RpcError): void {
    if (this.ended) return;
    this.buffer.length = 0;
    this.channel.credit(this.id, 0);
    this.end(error);
  }

  private stop(): void {
    if (this.ended) return;
    this.ended = true;
    this.buffer.length = 0;
    this.channel.credit(this.id, 0);
    this.channel.forget(this.id);
    this.channel.hold(this, false);
    for (const w of this.waiters.splice(0)) w.resolve({ value: undefined, done: true });
  }

  /** The consumer took an item: top the window up once it is half empty. */
  private took(): void {
    if (this.ended) return;
    const window = this.itemBytes === 0 ? STREAM_WINDOW : Math.max(MIN_STREAM_WINDOW, Math.min(MAX_STREAM_WINDOW, Math.floor(STREAM_WINDOW_BYTES / this.itemBytes)));
    const held = this.outstanding + this.buffer.length;
    if (held > window / 2) return;
    const grant = window - held;
    this.outstanding += grant;
    this.channel.credit(this.id, grant);
  }
}
