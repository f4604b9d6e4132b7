/**
 * The NATS benchmark's client: add(1, 2) against URL, after a warm-up, until SECONDS or
 * MAX_CALLS, whichever comes first.
 *   w1: one call at a time, each timed (p50/p99 in µs);
 *   w2: 100 calls in flight, each refilled as it finishes.
 * Prints {"calls", "seconds", "cpuMs", "p50Us"?, "p99Us"?}; cpuMs is this process's own
 * CPU time (user + system) during the measurement.
 *   usage: client.ts URL w1|w2 SECONDS MAX_CALLS
 */
import { close, connect } from "../../dist/index.js";
import { latencySummary } from "../stats.js";

const [url, workload, secondsArg, maxArg] = process.argv.slice(2) as [string, "w1" | "w2", string, string];
const seconds = Number(secondsArg);
const maxCalls = Number(maxArg);
const remote = await connect<{ add(a: number, b: number): number }>(url, { logger: false });

const warmUntil = performance.now() + 300;
while (performance.now() < warmUntil) await remote.add(1, 2);

const latencies = new Float64Array(workload === "w1" ? maxCalls : 0);
let calls = 0;
const cpu0 = process.cpuUsage();
const start = performance.now();
const until = start + seconds * 1000;
async function loop(): Promise<void> {
  while (calls < maxCalls && performance.now() < until) {
    const index = calls++;
    const t0 = performance.now();
    if ((await remote.add(1, 2)) !== 3) throw new Error("add(1, 2) !== 3");
    if (workload === "w1") latencies[index] = performance.now() - t0;
  }
}
await Promise.all(Array.from({ length: workload === "w1" ? 1 : 100 }, loop));
const took = (performance.now() - start) / 1000;
const cpu = process.cpuUsage(cpu0);
const out: Record<string, number> = { calls, seconds: took, cpuMs: (cpu.user + cpu.system) / 1000 };
if (workload === "w1") Object.assign(out, latencySummary(latencies.subarray(0, calls)));
console.log(JSON.stringify(out));
await close(remote);
