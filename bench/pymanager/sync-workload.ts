/**
 * Python's shared objects under load, and the cost of the one-port opt-in, in the same run
 * as the seed counter workload:
 * - SyncManager `dict` and `Queue`: 4 Python processes share one object made by a SyncManager
 *   client and run 100,000 operations in all (dict: set then read a key; Queue: put then get),
 *   against Python's own SyncManager server and against farcall's pymanager:// listener,
 *   with the server's CPU per operation. Python's server swings up to 2.5x in wall time
 *   between runs on this machine, so each pair runs several rounds, alternating which server
 *   goes first, and the verdict is the medians' ratio beside each round's own.
 * - The wait for the manager's challenge: from a connection's connect to its first byte,
 *   on Python's server, farcall's pymanager:// port and a tcp:// port with
 *   `pymanager: { silenceMs }`, whose difference is the added latency per Python connection.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { connect as netConnect } from "node:net";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { CpuWindow } from "../cpu.js";
import { SILENCE_MS } from "./shared.js";

const HOST = "127.0.0.1";
const PROCS = 4;
const CHALLENGES = 50;
const SYNC_OPS_PY = fileURLToPath(new URL("./sync_ops.py", import.meta.url));
const SYNC_SERVER_PY = fileURLToPath(new URL("../../test/fixtures/pymanager/sync_server.py", import.meta.url));

export interface SyncRun {
  kind: "dict" | "queue";
  /** Which round of the alternated pairs (0-based). */
  round: number;
  server: "python" | "farcall";
  ops: number;
  wallMs?: number;
  /** The server process's user + system CPU per operation (10 ms ticks). */
  serverCpuUs?: number;
  /** The 4 worker processes' user + system CPU per operation, together (getrusage in sync_ops.py). */
  clientCpuUs?: number;
  ok?: boolean;
  error?: string;
}

export interface ChallengeWait {
  port: "python" | "pymanager" | "one-port";
  /** Median and mean milliseconds from connect to the challenge's first byte. */
  medianMs?: number;
  meanMs?: number;
  error?: string;
}

export interface SyncResults {
  ops: number;
  procs: number;
  rounds: number;
  silenceMs: number;
  runs: SyncRun[];
  challenge: ChallengeWait[];
}

/** What the counter workload's orchestrator lends: its Python runner and a farcall server. */
export interface SyncDeps {
  runPython(args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }>;
  startFarcall(): Promise<{ pid: number; ports: { pymanager: number; oneport: number }; stop(): Promise<void> }>;
  track(child: ChildProcess): void;
}

/** Python's own SyncManager server, once it printed its port. */
async function startPythonSync(deps: SyncDeps): Promise<{ pid: number; port: number; stop(): void }> {
  const child = spawn("python3", [SYNC_SERVER_PY], { stdio: ["ignore", "pipe", "inherit"] });
  deps.track(child);
  const [line] = (await Promise.race([once(createInterface({ input: child.stdout! }), "line"), once(child, "exit").then(() => ["exited"])])) as [string];
  const port = Number(/^ready (\d+)$/.exec(line)?.[1]);
  if (!port) throw new Error(`Python's SyncManager server did not start: ${line}`);
  return { pid: child.pid ?? 0, port, stop: () => void child.kill("SIGKILL") };
}

async function syncRun(deps: SyncDeps, kind: SyncRun["kind"], server: SyncRun["server"], ops: number, round: number): Promise<SyncRun> {
  const run: SyncRun = { kind, round, server, ops };
  const started = server === "python" ? await startPythonSync(deps) : await deps.startFarcall();
  const port = "port" in started ? started.port : started.ports.pymanager;
  try {
    const cpu = new CpuWindow(started.pid);
    const out = await deps.runPython([SYNC_OPS_PY, HOST, String(port), kind, String(ops), String(PROCS)], 600_000);
    const cpuUs = cpu.perCall(ops).serverCpuUs;
    const result = JSON.parse(out.stdout.trim().split("\n").pop() ?? "{}") as { wallSeconds?: number; ok?: boolean; clientCpuSeconds?: number };
    if (out.code !== 0 || result.wallSeconds === undefined) throw new Error(`sync_ops.py exited ${out.code}: ${out.stderr.trim().split("\n").slice(-3).join(" | ")}`);
    run.wallMs = result.wallSeconds * 1000;
    run.ok = result.ok === true;
    if (cpuUs !== undefined) run.serverCpuUs = cpuUs;
    if (result.clientCpuSeconds !== undefined) run.clientCpuUs = (result.clientCpuSeconds * 1e6) / ops;
  } catch (error) {
    run.error = error instanceof Error ? error.message : String(error);
  } finally {
    await started.stop();
  }
  return run;
}

/** Milliseconds from connect to the first byte the server sends, CHALLENGES times in a row. */
async function challengeWait(port: number): Promise<{ medianMs: number; meanMs: number }> {
  const waits: number[] = [];
  for (let i = 0; i < CHALLENGES; i++) {
    const socket = netConnect(port, HOST);
    try {
      await once(socket, "connect");
      const start = performance.now();
      await Promise.race([once(socket, "data"), new Promise((_, reject) => setTimeout(() => reject(new Error("no challenge within 5 s")), 5000))]);
      waits.push(performance.now() - start);
    } finally {
      socket.destroy();
    }
  }
  waits.sort((a, b) => a - b);
  return { medianMs: waits[waits.length >> 1]!, meanMs: waits.reduce((a, b) => a + b, 0) / waits.length };
}

/**
 * Runs the dict and Queue workloads on both servers `rounds` times, a fresh server each time,
 * Python's first in even rounds and farcall's first in odd ones; then the challenge waits.
 */
export async function runSyncWorkloads(deps: SyncDeps, ops: number, rounds: number, log: (message: string) => void): Promise<SyncResults> {
  const results: SyncResults = { ops, procs: PROCS, rounds, silenceMs: SILENCE_MS, runs: [], challenge: [] };
  for (const kind of ["dict", "queue"] as const) {
    for (let round = 0; round < rounds; round++) {
      for (const server of round % 2 === 0 ? (["python", "farcall"] as const) : (["farcall", "python"] as const)) {
        const run = await syncRun(deps, kind, server, ops, round);
        results.runs.push(run);
        log(`pymanager sync ${kind} round ${round + 1} on ${server}: ${run.wallMs === undefined ? run.error : `${Math.round(run.wallMs)} ms, ${run.serverCpuUs?.toFixed(1) ?? "-"} µs server CPU/op, ${run.ok ? "ok" : "FAIL"}`}`);
      }
    }
  }
  const py = await startPythonSync(deps);
  const farcall = await deps.startFarcall();
  try {
    for (const [name, port] of [["python", py.port], ["pymanager", farcall.ports.pymanager], ["one-port", farcall.ports.oneport]] as const) {
      try {
        results.challenge.push({ port: name, ...(await challengeWait(port)) });
      } catch (error) {
        results.challenge.push({ port: name, error: error instanceof Error ? error.message : String(error) });
      }
    }
  } finally {
    py.stop();
    await farcall.stop();
  }
  return results;
}

/** Runs that failed or whose object did not end as it must. */
export function syncFailures(results: SyncResults): string[] {
  return results.runs.filter((r) => r.error !== undefined || r.ok !== true).map((r) => `pymanager sync ${r.kind} on ${r.server}: ${r.error ?? "the shared object did not end as it must"}`);
}

function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Median wall time and server CPU of one kind on one server, over the rounds that finished. */
export function syncSummary(results: SyncResults, kind: SyncRun["kind"], server: SyncRun["server"]): { wallMs?: number; serverCpuUs?: number; clientCpuUs?: number; walls: number[] } {
  const runs = results.runs.filter((r) => r.kind === kind && r.server === server && r.wallMs !== undefined);
  const walls = runs.map((r) => r.wallMs!);
  const cpu = runs.flatMap((r) => (r.serverCpuUs === undefined ? [] : [r.serverCpuUs]));
  const wallMs = median(walls);
  const serverCpuUs = median(cpu);
  const clientCpuUs = median(runs.flatMap((r) => (r.clientCpuUs === undefined ? [] : [r.clientCpuUs])));
  return { walls, ...(wallMs === undefined ? {} : { wallMs }), ...(serverCpuUs === undefined ? {} : { serverCpuUs }), ...(clientCpuUs === undefined ? {} : { clientCpuUs }) };
}

/** The printed tables. */
export function renderSync(results: SyncResults): string {
  const rows = [[`SyncManager workload (${results.procs} Python processes, ${results.rounds} alternated rounds)`, `${results.ops.toLocaleString("en-US")} ops median wall ms`, "x Python", "farcall ahead", "CPU µs/op clients/server", "every round's wall ms", "check"]];
  for (const kind of ["dict", "queue"] as const) {
    const python = syncSummary(results, kind, "python");
    for (const server of ["python", "farcall"] as const) {
      const mine = syncSummary(results, kind, server);
      const runs = results.runs.filter((r) => r.kind === kind && r.server === server);
      // A round's own pair, run one right after the other, is the fairest single comparison.
      let ahead = 0;
      let pairs = 0;
      for (const run of runs) {
        const other = results.runs.find((r) => r.kind === kind && r.server === "python" && r.round === run.round)?.wallMs;
        if (server === "farcall" && run.wallMs !== undefined && other !== undefined) {
          pairs++;
          if (run.wallMs < other) ahead++;
        }
      }
      rows.push([
        `${kind} on ${server === "python" ? "Python's SyncManager server" : "farcall pymanager://"}`,
        mine.wallMs === undefined ? "error" : Math.round(mine.wallMs).toLocaleString("en-US"),
        mine.wallMs !== undefined && python.wallMs !== undefined ? `${(python.wallMs / mine.wallMs).toFixed(2)}x` : "-",
        server === "farcall" ? `${ahead} of ${pairs}` : "",
        `${mine.clientCpuUs?.toFixed(1) ?? "-"}/${mine.serverCpuUs?.toFixed(1) ?? "-"}`,
        runs.map((r) => (r.wallMs === undefined ? "error" : Math.round(r.wallMs).toLocaleString("en-US"))).join(" "),
        runs.some((r) => r.error !== undefined) ? "error" : runs.every((r) => r.ok) ? "ok" : "FAIL",
      ]);
    }
  }
  rows.push(["", "", "", "", "", "", ""], [`challenge wait (${CHALLENGES} connections)`, "median ms", "mean ms", "", "", "", ""]);
  for (const c of results.challenge) {
    const label = c.port === "python" ? "Python's server" : c.port === "pymanager" ? "farcall pymanager://" : `farcall tcp:// one-port (silenceMs ${results.silenceMs})`;
    rows.push([label, c.medianMs?.toFixed(2) ?? "error", c.meanMs?.toFixed(2) ?? "-", "", "", "", ""]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  const lines = rows.map((row) => row.map((t, c) => (c === 0 ? t.padEnd(widths[c]!) : t.padStart(widths[c]!))).join("  ").trimEnd());
  lines.push(
    "",
    "x Python: Python's server's median wall time / this median; higher is faster. farcall ahead: rounds whose farcall run took less wall time than that round's Python run. Wall: first process start to last exit.",
    "CPU µs/op: user + system CPU per operation of the 4 client processes together / of the server process (medians).",
    "challenge wait: connect to the first byte of the server's challenge; one-port minus pymanager:// is what the opt-in adds per Python connection.",
  );
  return lines.join("\n");
}
