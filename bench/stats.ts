/**
 * Summaries of measurements: latency percentiles inside a client, and the choice of one
 * figure among rounds in the orchestrator.
 */
import type { WorkloadResult } from "./jobs.js";

/** Nearest-rank percentile of ascending `sorted` (p in 0..100). */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** p50, p99 and mean in microseconds of latencies given in milliseconds. */
export function latencySummary(samplesMs: Float64Array): { p50Us: number; p99Us: number; meanUs: number } {
  const sorted = Float64Array.from(samplesMs).sort();
  let sum = 0;
  for (let i = 0; i < sorted.length; i++) sum += sorted[i];
  return {
    p50Us: percentile(sorted, 50) * 1000,
    p99Us: percentile(sorted, 99) * 1000,
    meanUs: (sum / sorted.length) * 1000,
  };
}

/** The figure a workload is judged by; higher is better for every workload. */
export function score(result: WorkloadResult): number {
  return result.mbPerSec ?? result.callsPerSec;
}

/**
 * The best of several rounds. On a shared, noisy machine a slow round says more about the
 * neighbours than about the code, so the fastest round is the fairest estimate of what each
 * framework can do; every round is kept in the JSON output all the same.
 */
export function bestOf(rounds: readonly WorkloadResult[]): WorkloadResult | undefined {
  let best: WorkloadResult | undefined;
  for (const r of rounds) if (!best || score(r) > score(best)) best = r;
  return best;
}
