/**
 * The child side of the orchestrator protocol: read the job, report on stdout, take
 * commands from stdin, and die with the parent. A child whose stdin closes exits at once,
 * so no server or client outlives a crashed or interrupted orchestrator.
 */
import { createInterface } from "node:readline";
import { TAG, type Job, type WorkloadResult } from "./jobs.js";

/** The job given in BENCH_JOB. */
export function readJob(): Job {
  const raw = process.env.BENCH_JOB;
  if (!raw) throw new TypeError("BENCH_JOB is not set: this file is started by bench/run.ts");
  return JSON.parse(raw) as Job;
}

/** Writes one tagged line for the orchestrator. */
export function report(tag: string, payload: unknown): void {
  process.stdout.write(`${tag} ${JSON.stringify(payload)}\n`);
}

/** Tells the orchestrator which port a server listens on. */
export function announcePort(port: number): void {
  report(TAG.port, port);
}

/** Reports a client's result. */
export function reportResult(result: WorkloadResult): void {
  report(TAG.result, result);
}

const pendingLines: string[] = [];
let lineWaiter: ((line: string) => void) | undefined;
let watching = false;

/**
 * Exits when the orchestrator goes away (stdin closes) and queues the lines it sends.
 * Call once at startup; `onOrphaned` runs just before the exit.
 */
export function watchParent(onOrphaned?: () => void): void {
  if (watching) return;
  watching = true;
  const lines = createInterface({ input: process.stdin });
  lines.on("line", (line) => {
    const waiter = lineWaiter;
    lineWaiter = undefined;
    if (waiter) waiter(line.trim());
    else pendingLines.push(line.trim());
  });
  lines.on("close", () => {
    onOrphaned?.();
    process.exit(0);
  });
}

/** The next command line from the orchestrator. */
export function nextCommand(): Promise<string> {
  const queued = pendingLines.length > 0 ? pendingLines.splice(0, 1)[0] : undefined;
  if (queued !== undefined) return Promise.resolve(queued);
  return new Promise((resolve) => {
    lineWaiter = resolve;
  });
}

/** Prints the failure where the orchestrator collects it, and exits non-zero. */
export function die(error: unknown): never {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
}
