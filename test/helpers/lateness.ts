/**
 * How late this process's timers ran while a test waited. On a shared CI machine a process
 * can stand still for most of a second; a test that bounds elapsed time adds what it
 * measured here instead of assuming an idle machine, and still fails when the code is late.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";

export interface Lateness {
  /** The worst delay of a timer since the watch started, ms. */
  maxMs(): number;
  stop(): void;
}

/** Starts watching the event loop (sampled every 10 ms). */
export function watchLateness(): Lateness {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  return {
    maxMs: () => Math.round(histogram.max / 1e6),
    stop: () => histogram.disable(),
  };
}
