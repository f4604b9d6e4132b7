/**
 * Callback-driven request loops over one floor connection: the next request is written from
 * the reply handler itself, with no Promise or closure per call, so the floor is the cost of
 * the socket and the framing and nothing more.
 */
import type { Socket } from "node:net";
import { FrameReader } from "./framing.js";
import { MAX_FRAME_BYTES } from "./protocol.js";

/** How a loop issues call number `i` and checks its reply (throwing when it is wrong). */
export interface CallSpec {
  send(i: number): void;
  check(reply: Buffer, i: number): void;
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

  close(): void {
    this.closing = true;
    this.socket.destroy();
  }
}
