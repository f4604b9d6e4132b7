/**
 * The seam between a client process and a framework: each framework's client provides
 * these workload drivers over one connection, and client-main.ts does the rest.
 */
import type { Job, WorkloadResult } from "./jobs.js";

export interface Drivers {
  /** W1: sequential add(1, 2), with per-call latency. */
  sequentialAdd(job: Job): Promise<WorkloadResult>;
  /** W2: add(1, 2) with job.inFlight calls outstanding, refilled as they finish. */
  pipelinedAdd(job: Job): Promise<WorkloadResult>;
  /** W3: sequential echo of a job.payloadBytes byte array. */
  echo(job: Job): Promise<WorkloadResult>;
  /** W4: job.iterations sequential (get, inc) pairs on the counter. */
  counter(job: Job): Promise<WorkloadResult>;
  /** The counter's value now. */
  readCounter(): Promise<number>;
  /**
   * W5: server streams of job.streamItems items (integers, or job.chunkBytes-byte chunks
   * when that is above 0), read one after another. Absent where a framework has no streams.
   */
  stream?(job: Job): Promise<WorkloadResult>;
  close(): Promise<void>;
}

/** A byte array whose content a W3 echo can be checked against cheaply. */
export function makePayload(bytes: number): Uint8Array {
  const payload = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) payload[i] = (i * 31 + 7) & 0xff;
  return payload;
}

/** Throws unless `echoed` matches `sent` in length and at a spread of positions. */
export function checkEcho(sent: Uint8Array, echoed: Uint8Array, what = "echo"): void {
  if (echoed.length !== sent.length) throw new Error(`${what} returned ${echoed.length} B, sent ${sent.length} B`);
  const step = Math.max(1, Math.floor(sent.length / 64));
  for (let i = 0; i < sent.length; i += step) {
    if (echoed[i] !== sent[i]) throw new Error(`${what} differs at byte ${i}`);
  }
  if (sent.length > 0 && echoed[sent.length - 1] !== sent[sent.length - 1]) throw new Error(`${what} differs at the last byte`);
}

/** Throws unless item number `i` of a W5 stream is what the server was asked to send. */
export function checkStreamItem(item: unknown, i: number, chunk: Uint8Array | undefined): void {
  if (chunk) checkEcho(chunk, item as Uint8Array, `streamed chunk ${i}`);
  else if (item !== i) throw new Error(`stream item ${i} was ${String(item)}`);
}

/** How often a stream loop reads the clock: every this many items (a power of two). */
export const CLOCK_EVERY = 256;

/** Result of a timed loop of `calls` round trips, each moving `bytesPerCall` payload bytes. */
export function throughput(calls: number, seconds: number, bytesPerCall = 0): WorkloadResult {
  const result: WorkloadResult = { calls, seconds, callsPerSec: calls / seconds };
  if (bytesPerCall > 0) result.mbPerSec = (calls * bytesPerCall) / seconds / 1e6;
  return result;
}
