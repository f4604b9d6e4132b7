/**
 * The benchmark: farcall against the raw-socket floor and two peer frameworks, each server
 * and client in its own process on 127.0.0.1. Prints a table of figures and ratios to the
 * floor of the same run, and writes them as JSON. `npm run bench -- --help` for options.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname } from "node:path";
import { parseConfig, USAGE, type BenchConfig } from "./config.js";
import { checkFrameReader } from "./floor/framing-check.js";
import { FRAMEWORKS, supports, type Framework, type FrameworkName } from "./frameworks.js";
import type { WorkloadName, WorkloadResult } from "./jobs.js";
import { ALLOCATOR_ENV, killAll } from "./processes.js";
import { cellOf, counterFailures, renderReport, resultsJson, type Results } from "./report.js";
import { expectedCounter, runCounterRound, runTimedJob, startServer, type RunningServer } from "./runners.js";
import { score } from "./stats.js";
import { killPythons, pyManagerFailures, renderPyManager, runPyManager, type PyManagerResults } from "./pymanager/workload.js";

const started = performance.now();

function log(message: string): void {
  process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(1).padStart(5)} s] ${message}\n`);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Each round starts with a different framework, so none always runs first (or last). */
function rotate<T>(items: readonly T[], by: number): T[] {
  const k = items.length === 0 ? 0 : by % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

function describe(workload: WorkloadName, r: WorkloadResult): string {
  const n = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
  switch (workload) {
    case "w1":
      return `${n.format(r.callsPerSec)} calls/s, p50 ${r.p50Us?.toFixed(1)} µs, p99 ${r.p99Us?.toFixed(1)} µs`;
    case "w3":
    case "w5b":
      return `${n.format(r.mbPerSec ?? NaN)} MB/s`;
    case "w5":
      return `${n.format(r.callsPerSec)} items/s`;
    case "w4":
      return `${n.format(r.wallMs ?? NaN)} ms wall, counter ${r.counter}`;
    default:
      return `${n.format(score(r))} calls/s`;
  }
}

/** W1-W3: one long-lived server per framework, a fresh client process per measurement. */
async function runTimed(config: BenchConfig, frameworks: readonly Framework[], workloads: WorkloadName[], results: Results): Promise<void> {
  const servers = new Map<FrameworkName, RunningServer>();
  try {
    for (const f of frameworks) {
      if (!workloads.some((w) => supports(f, w))) continue;
      try {
        servers.set(f.name, await startServer(f));
      } catch (error) {
        log(`${f.name}: server did not start: ${messageOf(error)}`);
        for (const w of workloads.filter((w) => supports(f, w))) cellOf(results, f.name, w).errors.push(`server did not start: ${messageOf(error)}`);
      }
    }
    for (let round = 0; round < config.rounds; round++) {
      for (const w of workloads) {
        for (const f of rotate(frameworks, round)) {
          const server = servers.get(f.name);
          if (!server || !supports(f, w)) continue;
          const cell = cellOf(results, f.name, w);
          try {
            const r = await runTimedJob(f, w, config.jobs[w], server);
            cell.rounds.push(r);
            log(`round ${round + 1}/${config.rounds} ${w} ${f.name}: ${describe(w, r)}`);
          } catch (error) {
            cell.errors.push(messageOf(error));
            log(`round ${round + 1}/${config.rounds} ${w} ${f.name}: error: ${messageOf(error)}`);
          }
        }
      }
    }
  } finally {
    await Promise.all([...servers.values()].map((s) => s.child.stop()));
  }
}

/** W4: a fresh server per framework and round, so every count starts from zero. */
async function runCounter(config: BenchConfig, frameworks: readonly Framework[], results: Results): Promise<void> {
  for (let round = 0; round < config.rounds; round++) {
    for (const f of rotate(frameworks, round)) {
      const cell = cellOf(results, f.name, "w4");
      try {
        const r = await runCounterRound(f, config);
        cell.rounds.push(r);
        log(`round ${round + 1}/${config.rounds} w4 ${f.name}: ${describe("w4", r)}`);
      } catch (error) {
        cell.errors.push(messageOf(error));
        log(`round ${round + 1}/${config.rounds} w4 ${f.name}: error: ${messageOf(error)}`);
      }
    }
  }
}

async function main(): Promise<number> {
  let config: BenchConfig | "help";
  try {
    config = parseConfig(process.argv.slice(2), process.env);
  } catch (error) {
    process.stderr.write(`${messageOf(error)}\n\n${USAGE}\n`);
    return 2;
  }
  if (config === "help") {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  checkFrameReader();
  const chosen = config.frameworks;
  // A contender with none of the chosen workloads (JSON-RPC in a streams-only run) sits out.
  const frameworks = FRAMEWORKS.filter((f) => chosen.includes(f.name) && config.workloads.some((w) => supports(f, w)));
  const results: Results = new Map();
  const load = loadavg()[0];
  const what = config.workloads.length > 0 ? `${frameworks.map((f) => f.name).join(", ")} x ${config.workloads.join(", ")}, ${config.rounds} round(s)` : "the pymanager workload only";
  log(`${what}, load average ${load.toFixed(2)}`);

  const timed = config.workloads.filter((w) => w !== "w4");
  if (timed.length > 0) await runTimed(config, frameworks, timed, results);
  if (config.workloads.includes("w4")) await runCounter(config, frameworks, results);
  const pymanager: PyManagerResults | undefined = config.pymanager ? await runPyManager(config.pymanagerLoops, log) : undefined;

  const expected = expectedCounter(config);
  const elapsedSeconds = (performance.now() - started) / 1000;
  process.stdout.write(
    `\nfarcall bench: node ${process.version}, ${cpus().length} CPUs, ${config.workloads.length > 0 ? `${config.rounds} round(s), best round shown` : "pymanager only, one run"}, ${elapsedSeconds.toFixed(0)} s\n\n`,
  );
  const shape = {
    inFlight: config.jobs.w2.inFlight,
    payloadBytes: config.jobs.w3.payloadBytes,
    counterClients: config.counterClients,
    counterIterations: config.jobs.w4.iterations,
    streamInts: config.jobs.w5.streamItems,
    streamChunks: config.jobs.w5b.streamItems,
    chunkBytes: config.jobs.w5b.chunkBytes,
  };
  if (config.workloads.length > 0) process.stdout.write(`${renderReport(results, frameworks, config.workloads, shape)}\n`);
  const pyFailures = pymanager ? pyManagerFailures(pymanager) : [];
  if (pymanager) {
    process.stdout.write(`${config.workloads.length > 0 ? "\n" : ""}${renderPyManager(pymanager)}\n`);
    if (pyFailures.length > 0) process.stdout.write(`\n${pyFailures.map((f) => `FAIL ${f}`).join("\n")}\n`);
  }

  const meta = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? "unknown",
    loadAverageAtStart: load,
    allocatorEnv: Object.fromEntries(Object.keys(ALLOCATOR_ENV).map((k) => [k, process.env[k] ?? ALLOCATOR_ENV[k as keyof typeof ALLOCATOR_ENV]])),
    elapsedSeconds,
    settings: { quick: config.quick, rounds: config.rounds, counterClients: config.counterClients, jobs: config.jobs, pymanagerLoops: config.pymanager ? config.pymanagerLoops : null },
  };
  mkdirSync(dirname(config.out), { recursive: true });
  const document = { ...(resultsJson(results, frameworks, expected, meta) as object), ...(pymanager ? { pymanager, pymanagerFailures: pyFailures } : {}) };
  writeFileSync(config.out, `${JSON.stringify(document, null, 2)}\n`);
  process.stdout.write(`\nresults written to ${config.out}\n`);

  const anyError = [...results.values()].some((m) => [...m.values()].some((c) => c.errors.length > 0));
  return counterFailures(results, expected).length > 0 || anyError || pyFailures.length > 0 ? 1 : 0;
}

process.on("exit", () => {
  killAll();
  killPythons();
});
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    killAll();
    killPythons();
    process.exit(130);
  });
}
main().then(
  (code) => {
    killAll();
    process.exitCode = code;
  },
  (error: unknown) => {
    killAll();
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
