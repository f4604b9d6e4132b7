/**
 * What the orchestrator asks of a client process, and what the client answers. The job
 * travels in the BENCH_JOB environment variable as JSON; answers are stdout lines
 * (see child.ts), so a client needs no other channel back.
 */

/**
 * The workloads: sequential add, 100 calls in flight, 1 MiB echo, the counter origin, and a
 * server stream to one consumer, of small integers (w5) and of 64 KiB chunks (w5b).
 */
export type WorkloadName = "w1" | "w2" | "w3" | "w4" | "w5" | "w5b";

export const WORKLOADS: readonly WorkloadName[] = ["w1", "w2", "w3", "w4", "w5", "w5b"];

/** What a plain run measures; the streams are opt-in (--workloads=w5). */
export const DEFAULT_WORKLOADS: readonly WorkloadName[] = ["w1", "w2", "w3", "w4"];

/** Stream workloads: the server sends, one consumer reads with for-await. */
export function isStreamWorkload(workload: WorkloadName): workload is "w5" | "w5b" {
  return workload === "w5" || workload === "w5b";
}

/** One client process's assignment. Every loop it runs is bounded by a count and a time. */
export interface Job {
  workload: WorkloadName;
  /** The server's port on 127.0.0.1. */
  port: number;
  /** Warm-up: at most this long and at most this many calls, not measured. */
  warmupMs: number;
  warmupCalls: number;
  /** Measurement: stops at whichever comes first (W5: items, not calls). */
  durationMs: number;
  maxCalls: number;
  /** W2: calls kept outstanding on the one connection. */
  inFlight: number;
  /** W3: size of the echoed byte array. */
  payloadBytes: number;
  /** W4: (get, inc) pairs per client; the run is cut at durationMs all the same. */
  iterations: number;
  /** W5: items per stream call; the client opens streams one after another. */
  streamItems: number;
  /** W5b: bytes per streamed chunk; 0 streams the integers 0..streamItems-1 (w5). */
  chunkBytes: number;
  /** The server process, whose CPU per call the client reads (0: not known). */
  serverPid: number;
}

/** A client's measurement of one workload. */
export interface WorkloadResult {
  /** Round trips completed in the measured window (W5: items received). */
  calls: number;
  /** Length of the measured window. */
  seconds: number;
  callsPerSec: number;
  /** W1: per-call latency. */
  p50Us?: number;
  p99Us?: number;
  meanUs?: number;
  /** W3: payload bytes moved per second, both directions, in MB (10^6 B); W5b: one direction. */
  mbPerSec?: number;
  /** W4: false when the time bound cut the loop before all iterations ran. */
  complete?: boolean;
  /** W4 (orchestrator): from GO to the last client's result, all clients together. */
  wallMs?: number;
  /** W4 (orchestrator): the counter read after every client finished. */
  counter?: number;
  /** W1-W3: user + system CPU per call of the client process and of the server process, µs. */
  clientCpuUs?: number;
  serverCpuUs?: number;
}

/** The stdout tags of the child protocol. */
export const TAG = Object.freeze({
  /** A server's bound port. */
  port: "PORT",
  /** A W4 client is connected and waits for GO on stdin. */
  ready: "READY",
  /** A client's WorkloadResult as JSON. */
  result: "RESULT",
  /** A W4 client's reading of the counter, after CHECK on stdin. */
  counter: "COUNTER",
});

/** The stdin commands the orchestrator sends to W4 clients. */
export const COMMAND = Object.freeze({ go: "GO", check: "CHECK", exit: "EXIT" });

/** The key of the W4 counter, as in the origin workload. */
export const COUNTER_KEY = "views";
