/** What the probe's two processes share: which build they load, and V8's profiler around a window. */
import type { Session } from "node:inspector/promises";
import { constants, PerformanceObserver, type PerformanceEntry } from "node:perf_hooks";
import { getHeapSpaceStatistics } from "node:v8";
import { pathToFileURL } from "node:url";

/** This tree's dist/index.js, or PROBE_DIST's (another tree's dist/, for A/B pairs). */
export function distEntry(): string {
  const dir = process.env.PROBE_DIST;
  return dir ? pathToFileURL(`${dir.replace(/\/$/, "")}/index.js`).href : new URL("../../dist/index.js", import.meta.url).href;
}

export interface Profiler {
  stop(): Promise<object>;
}

/** Samples every 100 µs until stop(), which returns the .cpuprofile document. */
export async function startProfile(session: Session): Promise<Profiler> {
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 100 });
  await session.post("Profiler.start");
  return {
    async stop() {
      const { profile } = await session.post("Profiler.stop");
      session.disconnect();
      return profile;
    },
  };
}

export interface GcCounts {
  minor: number;
  major: number;
  /** Milliseconds spent in collections. */
  ms: number;
  /** The old generation's live bytes (every space but the young one), MB: V8 starts marking incrementally only from 8 MB. */
  oldMB: number;
}

function oldGenerationMB(): number {
  let bytes = 0;
  for (const space of getHeapSpaceStatistics()) if (!space.space_name.startsWith("new_")) bytes += space.space_used_size;
  return Math.round((bytes / 2 ** 20) * 10) / 10;
}

/** Starts counting this process's collections; the returned function reads the counts so far. */
export function gcCounter(): () => GcCounts {
  const counts = { minor: 0, major: 0, ms: 0 };
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) counts.major++;
      else if (kind === constants.NODE_PERFORMANCE_GC_MINOR) counts.minor++;
      counts.ms += entry.duration;
    }
  }).observe({ entryTypes: ["gc"] });
  return () => ({ ...counts, ms: Math.round(counts.ms), oldMB: oldGenerationMB() });
}
