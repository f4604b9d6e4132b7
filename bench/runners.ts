/**
 * One measurement each: start a framework's server, run one timed client job against it, or
 * run a whole W4 round (fresh server, five clients started together, counter checked).
 */
import type { BenchConfig, JobTemplate } from "./config.js";
import type { Framework } from "./frameworks.js";
import { COMMAND, TAG, type Job, type WorkloadName, type WorkloadResult } from "./jobs.js";
import { processCpuUs } from "./cpu.js";
import { ChildRun } from "./processes.js";

/** Starting a process under tsx, loading its imports and binding takes well under this. */
const START_TIMEOUT_MS = 30_000;
/** Slack on top of a job's own time bounds before its client is declared hung. */
const JOB_SLACK_MS = 30_000;

export interface RunningServer {
  child: ChildRun;
  port: number;
}

export async function startServer(framework: Framework): Promise<RunningServer> {
  const child = new ChildRun(`${framework.name} server`, framework.server, undefined, framework.serverEnv);
  try {
    return { child, port: await child.expect<number>(TAG.port, START_TIMEOUT_MS) };
  } catch (error) {
    await child.stop();
    throw error;
  }
}

function jobFor(workload: WorkloadName, template: JobTemplate, port: number, serverPid = 0): Job {
  return { ...template, workload, port, serverPid };
}

/** Runs one W1, W2 or W3 client process to completion and returns its result. */
export async function runTimedJob(framework: Framework, workload: WorkloadName, template: JobTemplate, server: RunningServer): Promise<WorkloadResult> {
  const child = new ChildRun(`${framework.name} ${workload} client`, framework.client, jobFor(workload, template, server.port, server.child.pid));
  try {
    return await child.expect<WorkloadResult>(TAG.result, START_TIMEOUT_MS + template.warmupMs + template.durationMs + JOB_SLACK_MS);
  } finally {
    await child.stop();
  }
}

/**
 * W4, the origin workload: a fresh server (so the counter starts at 0), N client processes
 * that connect first and start together on GO, wall time from GO to the last result, then
 * the counter as one of the clients reads it.
 */
export async function runCounterRound(framework: Framework, config: BenchConfig): Promise<WorkloadResult> {
  const template = config.jobs.w4;
  const server = await startServer(framework);
  const clients: ChildRun[] = [];
  try {
    for (let i = 0; i < config.counterClients; i++) {
      clients.push(new ChildRun(`${framework.name} w4 client ${i + 1}`, framework.client, jobFor("w4", template, server.port)));
    }
    await allOrFirstError(clients.map((c) => c.expect(TAG.ready, START_TIMEOUT_MS)));
    const results = clients.map((c) => c.expect<WorkloadResult>(TAG.result, template.durationMs + JOB_SLACK_MS));
    // CPU from /proc on both sides, the same way for every contender (Python's included):
    // a finished client waits for CHECK, so reading all of them after the last is done is exact.
    const cpuBefore = cpuOf(server.child, clients);
    const start = performance.now();
    for (const c of clients) c.send(COMMAND.go);
    const done = await allOrFirstError(results.map((r) => r.then((result) => ({ result, at: performance.now() }))));
    const wallMs = Math.max(...done.map((d) => d.at)) - start;
    const cpuAfter = cpuOf(server.child, clients);
    const counterReading = clients[0].expect<number>(TAG.counter, JOB_SLACK_MS);
    clients[0].send(COMMAND.check);
    const counter = await counterReading;
    const calls = done.reduce((sum, d) => sum + d.result.calls, 0);
    return {
      calls,
      seconds: wallMs / 1000,
      callsPerSec: calls / (wallMs / 1000),
      wallMs,
      counter,
      complete: done.every((d) => d.result.complete === true),
      ...(cpuBefore && cpuAfter && calls > 0 ? { clientCpuUs: (cpuAfter.clients - cpuBefore.clients) / calls, serverCpuUs: (cpuAfter.server - cpuBefore.server) / calls } : {}),
    };
  } finally {
    for (const c of clients) c.send(COMMAND.exit);
    await Promise.all(clients.map((c) => c.stop()));
    await server.child.stop();
  }
}

/** CPU µs used so far by the server and by all the clients together, or undefined where /proc cannot tell. */
function cpuOf(server: ChildRun, clients: readonly ChildRun[]): { server: number; clients: number } | undefined {
  const serverUs = processCpuUs(server.pid);
  let clientsUs = 0;
  for (const c of clients) {
    const us = processCpuUs(c.pid);
    if (us === undefined) return undefined;
    clientsUs += us;
  }
  return serverUs === undefined ? undefined : { server: serverUs, clients: clientsUs };
}

/**
 * Promise.all that also marks every other promise handled: once one client fails, the rest
 * are stopped and their waits reject too, and those rejections are expected, not crashes.
 */
function allOrFirstError<T>(promises: Promise<T>[]): Promise<T[]> {
  for (const p of promises) p.catch(() => {});
  return Promise.all(promises);
}

/** The count W4 must leave on the counter. */
export function expectedCounter(config: BenchConfig): number {
  return config.counterClients * config.jobs.w4.iterations;
}
