/**
 * The workloads for frameworks with a Promise API (farcall, gRPC, JSON-RPC). Each
 * framework wraps its client in a BenchClient; these loops do the timing, the checks and
 * the bounds, so every framework is measured by the same code.
 */
import { checkEcho, checkStreamItem, CLOCK_EVERY, makePayload, throughput, type Drivers } from "./drivers.js";
import { COUNTER_KEY, type Job, type WorkloadResult } from "./jobs.js";
import { CpuWindow } from "./cpu.js";
import { latencySummary } from "./stats.js";

/** One framework's client, reduced to the calls the workloads make. */
export interface BenchClient {
  add(a: number, b: number): Promise<number>;
  echo(data: Uint8Array): Promise<Uint8Array>;
  get(key: string): Promise<number>;
  inc(key: string): Promise<void>;
  /**
   * W5: a server stream of `n` items, the integers 0..n-1, or (chunkBytes > 0) n copies of
   * makePayload(chunkBytes). Breaking out of the loop must stop the server's producer.
   */
  stream?(n: number, chunkBytes: number): Promise<AsyncIterable<unknown>>;
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
    ...(client.stream ? { stream: (job: Job) => stream(client, job) } : {}),
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
  const cpu = new CpuWindow(job.serverPid);
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
  return { ...throughput(calls, (now - start) / 1000), ...latencySummary(latencies.subarray(0, calls)), ...cpu.perCall(calls) };
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
  const cpu = new CpuWindow(job.serverPid);
  const { calls, seconds } = await pipelined(client, job.inFlight, job.durationMs, job.maxCalls);
  return { ...throughput(calls, seconds), ...cpu.perCall(calls) };
}

async function echo(client: BenchClient, job: Job): Promise<WorkloadResult> {
  const payload = makePayload(job.payloadBytes);
  await warmUp(async () => checkEcho(payload, await client.echo(payload)), job);
  const cpu = new CpuWindow(job.serverPid);
  const start = performance.now();
  const end = start + job.durationMs;
  let calls = 0;
  let now = start;
  while (calls < job.maxCalls && now < end) {
    checkEcho(payload, await client.echo(payload));
    calls++;
    now = performance.now();
  }
  return { ...throughput(calls, (now - start) / 1000, 2 * job.payloadBytes), ...cpu.perCall(calls) };
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

/**
 * Streams of job.streamItems items, one after another, each read with for-await, until the
 * item count or the time bound; a stream still running at the time bound is left with break.
 */
async function streamFor(client: BenchClient, job: Job, durationMs: number, maxItems: number): Promise<{ items: number; seconds: number }> {
  const chunk = job.chunkBytes > 0 ? makePayload(job.chunkBytes) : undefined;
  const start = performance.now();
  const end = start + durationMs;
  let items = 0;
  let now = start;
  while (items < maxItems && now < end) {
    const n = Math.min(job.streamItems, maxItems - items);
    let i = 0;
    for await (const item of await client.stream!(n, job.chunkBytes)) {
      checkStreamItem(item, i, chunk);
      i++;
      if ((i & (CLOCK_EVERY - 1)) === 0 && (now = performance.now()) >= end) break;
    }
    if (i < n && now < end) throw new Error(`stream ended after ${i} of ${n} items`);
    items += i;
    now = performance.now();
  }
  return { items, seconds: (now - start) / 1000 };
}

async function stream(client: BenchClient, job: Job): Promise<WorkloadResult> {
  await streamFor(client, job, job.warmupMs, job.warmupCalls);
  const { items, seconds } = await streamFor(client, job, job.durationMs, job.maxCalls);
  return throughput(items, seconds, job.chunkBytes);
}
