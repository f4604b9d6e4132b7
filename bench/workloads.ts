/**
 * The four workloads for frameworks with a Promise API (farcall, gRPC, JSON-RPC). Each
 * framework wraps its client in a BenchClient; these loops do the timing, the checks and
 * the bounds, so every framework is measured by the same code.
 */
import { checkEcho, makePayload, throughput, type Drivers } from "./drivers.js";
import { COUNTER_KEY, type Job, type WorkloadResult } from "./jobs.js";
import { latencySummary } from "./stats.js";

/** One framework's client, reduced to the calls the workloads make. */
export interface BenchClient {
  add(a: number, b: number): Promise<number>;
  echo(data: Uint8Array): Promise<Uint8Array>;
  get(key: string): Promise<number>;
  inc(key: string): Promise<void>;
  close(): Promise<void>;
}

/** The workload drivers over a Promise client. */
export function promiseDrivers(client: BenchClient): Drivers {
  return {
    sequentialAdd: (job) => sequentialAdd(client, job),
    pipelinedAdd: (job) => pipelinedAdd(client, job),
    echo: (job) => echo(client, job),
    counter: (job) => counter(client, job),
    readCounter: () => client.get(COUNTER_KEY),
    close: () => client.close(),
  };
}

function checkSum(sum: number): void {
  if (sum !== 3) throw new Error(`add(1, 2) returned ${String(sum)}`);
}

async function warmUp(call: () => Promise<void>, job: Job): Promise<void> {
  const end = performance.now() + job.warmupMs;
  for (let i = 0; i < job.warmupCalls && performance.now() < end; i++) await call();
}

async function sequentialAdd(client: BenchClient, job: Job): Promise<WorkloadResult> {
  await warmUp(async () => checkSum(await client.add(1, 2)), job);
  const latencies = new Float64Array(job.maxCalls);
  const start = performance.now();
  const end = start + job.durationMs;
  let calls = 0;
  let now = start;
  while (calls < job.maxCalls && now < end) {
    const sent = now;
    const sum = await client.add(1, 2);
    now = performance.now();
    checkSum(sum);
    latencies[calls++] = now - sent;
  }
  return { ...throughput(calls, (now - start) / 1000), ...latencySummary(latencies.subarray(0, calls)) };
}

/** Keeps `inFlight` calls outstanding until the count or time bound, then waits for the rest. */
function pipelined(client: BenchClient, inFlight: number, durationMs: number, maxCalls: number): Promise<{ calls: number; seconds: number }> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const end = start + durationMs;
    let issued = 0;
    let done = 0;
    let stopped = false;
    let failed = false;
    const fail = (error: unknown): void => {
      if (failed) return;
      failed = true;
      reject(error);
    };
    const onSum = (sum: number): void => {
      if (failed) return;
      if (sum !== 3) return fail(new Error(`add(1, 2) returned ${String(sum)}`));
      done++;
      if (!stopped && (issued >= maxCalls || performance.now() >= end)) stopped = true;
      if (!stopped) issue();
      else if (done === issued) resolve({ calls: done, seconds: (performance.now() - start) / 1000 });
    };
    const issue = (): void => {
      issued++;
      client.add(1, 2).then(onSum, fail);
    };
    for (let i = 0; i < inFlight && i < maxCalls; i++) issue();
  });
}

async function pipelinedAdd(client: BenchClient, job: Job): Promise<WorkloadResult> {
  await pipelined(client, job.inFlight, job.warmupMs, job.warmupCalls);
  const { calls, seconds } = await pipelined(client, job.inFlight, job.durationMs, job.maxCalls);
  return throughput(calls, seconds);
}

async function echo(client: BenchClient, job: Job): Promise<WorkloadResult> {
  const payload = makePayload(job.payloadBytes);
  await warmUp(async () => checkEcho(payload, await client.echo(payload)), job);
  const start = performance.now();
  const end = start + job.durationMs;
  let calls = 0;
  let now = start;
  while (calls < job.maxCalls && now < end) {
    checkEcho(payload, await client.echo(payload));
    calls++;
    now = performance.now();
  }
  return throughput(calls, (now - start) / 1000, 2 * job.payloadBytes);
}

async function counter(client: BenchClient, job: Job): Promise<WorkloadResult> {
  const start = performance.now();
  const end = start + job.durationMs;
  let i = 0;
  let now = start;
  while (i < job.iterations && now < end) {
    const value = await client.get(COUNTER_KEY);
    if (typeof value !== "number") throw new Error(`get returned ${typeof value}`);
    await client.inc(COUNTER_KEY);
    i++;
    now = performance.now();
  }
  return { ...throughput(2 * i, (now - start) / 1000), complete: i === job.iterations };
}
