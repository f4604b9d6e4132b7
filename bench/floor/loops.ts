/**
 * Callback-driven request loops over one floor connection: the next request is written from
 * the reply handler itself, with no Promise or closure per call, so the floor is the cost of
 * the socket and the framing and nothing more.
 */
import type { Socket } from "node:net";
import { CLOCK_EVERY } from "../drivers.js";
import { FrameReader } from "./framing.js";
import { MAX_FRAME_BYTES } from "./protocol.js";

/** How a loop issues call number `i` and checks its reply (throwing when it is wrong). */
export interface CallSpec {
  send(i: number): void;
  check(reply: Buffer, i: number): void;
}

/** How a stream loop asks for a stream of `n` items, stops one early, and checks item `i`. */
export interface StreamSpec {
  open(n: number): void;
  stop(): void;
  check(item: Buffer, i: number): void;
}

export interface LoopResult {
  calls: number;
  seconds: number;
}

function unexpectedReply(): void {
  throw new Error("floor: reply with no request outstanding");
}

/** One connection; replies go to whichever loop is running. */
export class FloorConnection {
  private onReply: (reply: Buffer) => void = unexpectedReply;
  private onFailure: (error: Error) => void = () => {};
  private closing = false;

  constructor(readonly socket: Socket) {
    const reader = new FrameReader(MAX_FRAME_BYTES, (reply) => this.onReply(reply));
    socket.on("data", (chunk: Buffer) => {
      // Requests written while handling one chunk leave in one write.
      socket.cork();
      try {
        reader.push(chunk);
      } catch (error) {
        this.fail(error as Error);
      }
      socket.uncork();
    });
    socket.on("error", (error) => this.fail(error));
    socket.on("close", () => this.fail(new Error("floor: connection closed")));
  }

  private fail(error: Error): void {
    if (this.closing) return;
    this.onReply = unexpectedReply;
    this.onFailure(error);
  }

  /** Round trips one at a time until `maxCalls` or `durationMs`; records latencies if given. */
  sequential(spec: CallSpec, durationMs: number, maxCalls: number, latencies?: Float64Array): Promise<LoopResult> {
    return new Promise((resolve, reject) => {
      const start = performance.now();
      const end = start + durationMs;
      let calls = 0;
      let sent = start;
      this.onFailure = reject;
      this.onReply = (reply) => {
        const now = performance.now();
        try {
          spec.check(reply, calls);
        } catch (error) {
          this.onReply = unexpectedReply;
          reject(error);
          return;
        }
        if (latencies) latencies[calls] = now - sent;
        calls++;
        if (calls >= maxCalls || now >= end) {
          this.onReply = unexpectedReply;
          resolve({ calls, seconds: (now - start) / 1000 });
          return;
        }
        sent = now;
        spec.send(calls);
      };
      if (maxCalls <= 0 || durationMs <= 0) resolve({ calls: 0, seconds: 0 });
      else spec.send(0);
    });
  }

  /** Keeps `inFlight` requests pipelined until `maxCalls` or `durationMs`, then drains. */
  pipelined(spec: CallSpec, inFlight: number, durationMs: number, maxCalls: number): Promise<LoopResult> {
    return new Promise((resolve, reject) => {
      const start = performance.now();
      const end = start + durationMs;
      let issued = 0;
      let done = 0;
      let stopped = false;
      this.onFailure = reject;
      this.onReply = (reply) => {
        try {
          spec.check(reply, done);
        } catch (error) {
          this.onReply = unexpectedReply;
          reject(error);
          return;
        }
        done++;
        if (!stopped && (issued >= maxCalls || performance.now() >= end)) stopped = true;
        if (!stopped) spec.send(issued++);
        else if (done === issued) {
          this.onReply = unexpectedReply;
          resolve({ calls: done, seconds: (performance.now() - start) / 1000 });
        }
      };
      if (maxCalls <= 0 || durationMs <= 0) {
        resolve({ calls: 0, seconds: 0 });
        return;
      }
      this.socket.cork();
      while (issued < inFlight && issued < maxCalls) spec.send(issued++);
      this.socket.uncork();
    });
  }

  /**
   * Server streams of `perStream` items one after another until `maxItems` or `durationMs`;
   * an empty frame ends each stream. At the time bound the running stream is stopped, the
   * clock is read, and the items still in flight are skipped up to its empty frame, so the
   * connection is clean for the next loop.
   */
  streams(spec: StreamSpec, perStream: number, durationMs: number, maxItems: number): Promise<LoopResult> {
    return new Promise((resolve, reject) => {
      const start = performance.now();
      const end = start + durationMs;
      let items = 0;
      let n = 0;
      let i = 0;
      let stoppedAt: number | undefined;
      const finish = (now: number): void => {
        this.onReply = unexpectedReply;
        resolve({ calls: items, seconds: (now - start) / 1000 });
      };
      const next = (): void => {
        const now = performance.now();
        if (items >= maxItems || now >= end) return finish(now);
        n = Math.min(perStream, maxItems - items);
        i = 0;
        spec.open(n);
      };
      this.onFailure = reject;
      this.onReply = (item) => {
        if (item.length === 0) {
          if (stoppedAt !== undefined) return finish(stoppedAt);
          if (i < n) {
            this.onReply = unexpectedReply;
            reject(new Error(`floor: stream ended after ${i} of ${n} items`));
            return;
          }
          return next();
        }
        if (stoppedAt !== undefined) return;
        try {
          spec.check(item, i);
        } catch (error) {
          this.onReply = unexpectedReply;
          reject(error);
          return;
        }
        i++;
        items++;
        if ((i & (CLOCK_EVERY - 1)) === 0) {
          const now = performance.now();
          if (now >= end) {
            stoppedAt = now;
            spec.stop();
          }
        }
      };
      next();
    });
  }

  close(): void {
    this.closing = true;
    this.socket.destroy();
  }
}
