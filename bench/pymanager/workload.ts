/**
 * The seed counter workload of Python's multiprocessing managers, five ways in one run:
 * Python's seed client against Python's seed server and against farcall's pymanager://
 * listener, and 5 farcall client processes against Python's server and against farcall over
 * farcall/1 (tcp://). Every server is fresh, every count starts at zero and must end at
 * exactly 5 x N; every run is bounded in time.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer, connect as netConnect } from "node:net";
import { fileURLToPath } from "node:url";
import { COMMAND, TAG, type WorkloadResult } from "../jobs.js";
import { ChildRun } from "../processes.js";
import { loadQuickAck } from "../../src/pymanager/quickack.js";
import { SILENCE_MS, TAG_PORTS, type CounterJob } from "./shared.js";
import { renderSync, runSyncWorkloads, syncFailures, type SyncResults } from "./sync-workload.js";

export type PyConfigName = "py-py" | "py-farcall" | "py-oneport" | "farcall-py" | "farcall-farcall";

export interface PyConfig {
  name: PyConfigName;
  label: string;
}

export const PY_CONFIGS: readonly PyConfig[] = [
  { name: "py-py", label: "Python clients -> Python server" },
  { name: "py-farcall", label: "Python clients -> farcall pymanager://" },
  { name: "py-oneport", label: `Python clients -> farcall tcp:// one-port (silenceMs ${SILENCE_MS})` },
  { name: "farcall-py", label: "farcall clients -> Python server" },
  { name: "farcall-farcall", label: "farcall clients -> farcall tcp://" },
];

export interface PyRun {
  config: PyConfigName;
  /** Python clients: the whole seed program, start to exit; farcall clients: GO to the last result. */
  wallMs?: number;
  counter?: number;
  expected: number;
  complete?: boolean;
  error?: string;
}

export interface PyManagerResults {
  loops: number;
  clients: number;
  python: string;
  quickAck: boolean;
  /** Why farcall's listener could not set TCP_QUICKACK, when it could not. */
  quickAckMissing?: string;
  runs: PyRun[];
  /** The SyncManager dict and Queue workload and the challenge waits. */
  sync?: SyncResults;
}

const CLIENTS = 5;
/** Operations of the SyncManager dict and Queue workloads, from 4 Python processes. */
const SYNC_OPS = Number(process.env.BENCH_PYMANAGER_SYNC_OPS ?? 100_000);
/** Alternated rounds of each SyncManager workload on each server (Python's server swings between runs). */
const SYNC_ROUNDS = Number(process.env.BENCH_PYMANAGER_SYNC_ROUNDS ?? 5);
const HOST = "127.0.0.1";
const START_TIMEOUT_MS = 30_000;
const SLACK_MS = 30_000;

function fixture(path: string): string {
  return fileURLToPath(new URL(`../../test/fixtures/${path}`, import.meta.url));
}

const SEED_SERVER = fixture("seed-examples/manager_counter_server.py");
const SEED_CLIENT = fixture("seed-examples/manager_counter_client.py");
const LOOPS_CLIENT = fixture("pymanager/manager_counter_client_loops.py");
const FARCALL_SERVER = fileURLToPath(new URL("./server.ts", import.meta.url));
const FARCALL_CLIENT = fileURLToPath(new URL("./client.ts", import.meta.url));

/** Python processes still running; killed on exit. */
const pythons = new Set<ChildProcess>();

export function killPythons(): void {
  for (const p of pythons) p.kill("SIGKILL");
  pythons.clear();
}

/** A Python run: stdout, exit code, and milliseconds from spawn to exit; killed at `timeoutMs`. */
function runPython(args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn("python3", args, { stdio: ["ignore", "pipe", "pipe"] });
    pythons.add(child);
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr = (stderr + c).slice(-2000)));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`python3 ${args.join(" ")}: still running after ${timeoutMs} ms, killed`));
    }, timeoutMs);
    child.once("error", (error) => {
      clearTimeout(timer);
      pythons.delete(child);
      reject(error);
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      pythons.delete(child);
      resolve({ code, stdout, stderr, ms: performance.now() - start });
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, HOST, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = netConnect(port, HOST);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** The unchanged seed server on a free port, once it accepts connections. */
async function startPythonServer(): Promise<{ port: number; stop(): void }> {
  const port = await freePort();
  const child = spawn("python3", [SEED_SERVER, HOST, String(port)], { stdio: ["ignore", "ignore", "pipe"] });
  pythons.add(child);
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr = (stderr + c).slice(-2000)));
  const stop = (): void => {
    child.kill("SIGKILL");
    pythons.delete(child);
  };
  const deadline = performance.now() + START_TIMEOUT_MS;
  while (!(await accepts(port))) {
    if (child.exitCode !== null || performance.now() > deadline) {
      stop();
      throw new Error(`Python's seed server did not start on port ${port}: ${stderr.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { port, stop };
}

type FarcallPorts = { pymanager: number; tcp: number; oneport: number };

async function startFarcallServer(): Promise<{ child: ChildRun; ports: FarcallPorts }> {
  const child = new ChildRun("farcall pymanager server", FARCALL_SERVER);
  try {
    return { child, ports: await child.expect<FarcallPorts>(TAG_PORTS, START_TIMEOUT_MS) };
  } catch (error) {
    await child.stop();
    throw error;
  }
}

/** Runs `use` against a fresh farcall server, stopped afterwards. */
async function onFarcall<T>(use: (ports: FarcallPorts) => Promise<T>): Promise<T> {
  const server = await startFarcallServer();
  try {
    return await use(server.ports);
  } finally {
    await server.child.stop();
  }
}

/** The seed client (or its copy with the loop count as an argument), timed start to exit. */
async function pythonClients(port: number, loops: number, timeoutMs: number): Promise<Omit<PyRun, "config" | "expected">> {
  const args = loops === 1000 ? [SEED_CLIENT, HOST, String(port)] : [LOOPS_CLIENT, HOST, String(port), String(loops)];
  const run = await runPython(args, timeoutMs);
  const lines = run.stdout.trim().split("\n");
  const counter = Number(lines.at(-1));
  if (run.code !== 0 || !Number.isInteger(counter)) {
    throw new Error(`seed client exited ${run.code}: ${(run.stdout + run.stderr).trim().split("\n").slice(-4).join(" | ")}`);
  }
  // The seed client prints any exception in its loop and carries on: those lines are failures.
  const printed = lines.slice(0, -1).filter((l) => l.trim() !== "");
  return { wallMs: run.ms, counter, complete: printed.length === 0, ...(printed.length > 0 ? { error: `the client printed: ${printed.slice(0, 3).join(" | ")}` } : {}) };
}

/** CLIENTS farcall processes, connected first and started together on GO. */
async function farcallClients(url: string, loops: number, timeBoundMs: number): Promise<Omit<PyRun, "config" | "expected">> {
  const job: CounterJob = {
    url, workload: "w4", port: 0, warmupMs: 0, warmupCalls: 0, durationMs: timeBoundMs,
    maxCalls: 2 * loops, inFlight: 1, payloadBytes: 0, iterations: loops, streamItems: 0, chunkBytes: 0, serverPid: 0,
  };
  const clients = Array.from({ length: CLIENTS }, (_, i) => new ChildRun(`farcall pymanager client ${i + 1}`, FARCALL_CLIENT, job));
  try {
    await settleAll(clients.map((c) => c.expect(TAG.ready, START_TIMEOUT_MS)));
    const results = clients.map((c) => c.expect<WorkloadResult>(TAG.result, timeBoundMs + SLACK_MS).then((r) => ({ r, at: performance.now() })));
    const start = performance.now();
    for (const c of clients) c.send(COMMAND.go);
    const done = await settleAll(results);
    const wallMs = Math.max(...done.map((d) => d.at)) - start;
    const reading = clients[0].expect<number>(TAG.counter, SLACK_MS);
    clients[0].send(COMMAND.check);
    return { wallMs, counter: await reading, complete: done.every((d) => d.r.complete === true) };
  } finally {
    for (const c of clients) c.send(COMMAND.exit);
    await Promise.all(clients.map((c) => c.stop()));
  }
}

/** Promise.all that marks the others handled once one rejects. */
function settleAll<T>(promises: Promise<T>[]): Promise<T[]> {
  for (const p of promises) p.catch(() => {});
  return Promise.all(promises);
}

/**
 * Runs the four configurations once each with `loops` (get, inc) pairs per client process.
 * Python's clients get 60 s plus 1 s per loop (they need about 0.45 s per loop without
 * TCP_QUICKACK), farcall's 60 s plus 0.1 s per loop.
 */
export async function runPyManager(loops: number, log: (message: string) => void): Promise<PyManagerResults> {
  const expected = CLIENTS * loops;
  const pyTimeoutMs = 60_000 + loops * 1000;
  const farcallBoundMs = 60_000 + loops * 100;
  const version = await runPython(["--version"], 10_000);
  const results: PyManagerResults = {
    loops,
    clients: CLIENTS,
    python: (version.stdout + version.stderr).trim(),
    quickAck: false,
    runs: [],
  };
  const { missing } = await loadQuickAck();
  results.quickAck = missing === undefined;
  if (missing !== undefined) results.quickAckMissing = missing;
  log(`pymanager: ${results.python}, ${CLIENTS} x ${loops}, sockopt (TCP_QUICKACK) ${results.quickAck ? "installed" : "not installed"}`);
  const steps: Record<PyConfigName, () => Promise<Omit<PyRun, "config" | "expected">>> = {
    "py-py": async () => {
      const server = await startPythonServer();
      try {
        return await pythonClients(server.port, loops, pyTimeoutMs);
      } finally {
        server.stop();
      }
    },
    "py-farcall": () => onFarcall((ports) => pythonClients(ports.pymanager, loops, pyTimeoutMs)),
    "py-oneport": () => onFarcall((ports) => pythonClients(ports.oneport, loops, pyTimeoutMs)),
    "farcall-py": async () => {
      const server = await startPythonServer();
      try {
        return await farcallClients(`pymanager://${HOST}:${server.port}`, loops, farcallBoundMs);
      } finally {
        server.stop();
      }
    },
    "farcall-farcall": () => onFarcall((ports) => farcallClients(`tcp://${HOST}:${ports.tcp}`, loops, farcallBoundMs)),
  };
  for (const config of PY_CONFIGS) {
    let run: PyRun;
    try {
      run = { config: config.name, expected, ...(await steps[config.name]()) };
    } catch (error) {
      run = { config: config.name, expected, error: error instanceof Error ? error.message : String(error) };
    }
    results.runs.push(run);
    const wall = run.wallMs === undefined ? "no wall time" : `${Math.round(run.wallMs)} ms`;
    log(`pymanager ${config.name}: ${wall}, counter ${run.counter ?? "-"}${run.error ? `, error: ${run.error}` : ""}`);
  }
  results.sync = await runSyncWorkloads(
    {
      runPython,
      track: (child) => void pythons.add(child),
      startFarcall: async () => {
        const { child, ports } = await startFarcallServer();
        return { pid: child.pid, ports, stop: () => child.stop() };
      },
    },
    SYNC_OPS,
    SYNC_ROUNDS,
    log,
  );
  return results;
}

/** Runs whose counter is not exactly 5 x N, that were cut short, or that failed. */
export function pyManagerFailures(results: PyManagerResults): string[] {
  return [...(results.sync ? syncFailures(results.sync) : []), ...results.runs
    .filter((r) => r.error !== undefined || r.counter !== r.expected || r.complete === false)
    .map((r) => `pymanager ${r.config}: ${r.error ?? (r.counter !== r.expected ? `counter read ${r.counter}, expected ${r.expected}` : "cut by the time bound")}`)];
}

/** The printed table: wall time, the counter check, and the ratio to Python against Python. */
export function renderPyManager(results: PyManagerResults): string {
  const base = results.runs.find((r) => r.config === "py-py")?.wallMs;
  const rows = [["seed counter workload", `${results.clients}x${results.loops} wall ms`, "x Python/Python", "counter"]];
  for (const config of PY_CONFIGS) {
    const r = results.runs.find((x) => x.config === config.name);
    const ok = r && r.error === undefined && r.counter === r.expected && r.complete !== false;
    rows.push([
      config.label,
      r?.wallMs === undefined ? "error" : Math.round(r.wallMs).toLocaleString("en-US"),
      r?.wallMs !== undefined && base !== undefined ? `${(base / r.wallMs).toFixed(2)}x` : "-",
      r?.counter === undefined ? "-" : `${r.counter} ${ok ? "ok" : "FAIL"}`,
    ]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  const lines = rows.map((row) => row.map((t, c) => (c === 0 ? t.padEnd(widths[c]) : t.padStart(widths[c]))).join("  "));
  lines.push(
    "",
    "x Python/Python: the Python-against-Python wall time / this wall time; higher is faster.",
    "Python clients: the whole seed program, start to exit (interpreter, 5 worker processes, the final read).",
    "farcall clients: from GO, all 5 processes connected, to the last one done.",
    results.quickAck ? "sockopt installed: farcall's listener sets TCP_QUICKACK." : `No TCP_QUICKACK on farcall's listener: ${results.quickAckMissing ?? "unavailable"}.`,
  );
  if (results.sync) lines.push("", renderSync(results.sync));
  return lines.join("\n");
}
