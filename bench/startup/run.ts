/**
 * Where a W4 client process's time goes, from spawn to exit: node's own start, importing
 * farcall, connect and handshake, the 1,000 (get, inc) pairs, close, and exit. W4's table
 * times only the calls (from GO); a seed program's user waits for all of it.
 *
 *   npm run build && node --import tsx bench/startup/run.ts [--runs=7] [--pairs=1000] [--base=../other/dist]
 *
 * One client at a time against one server per farcall build, so each phase is the client's
 * own; with --base the two builds alternate run by run (an A/B on a noisy machine), each
 * figure the median of the runs. CPU counts every thread of the client process.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));
const { values } = parseArgs({ options: { runs: { type: "string", default: "7" }, pairs: { type: "string", default: "1000" }, base: { type: "string" } } });
const runs = Math.min(Math.max(Number(values.runs), 1), 50);
const pairs = Math.min(Math.max(Number(values.pairs), 1), 100_000);
/** A client that takes longer than this is hung: the run stops. */
const CLIENT_TIMEOUT_MS = 60_000;

type Phases = [name: string, atMs: number, cpuMs: number][];

interface Build {
  label: string;
  dist: string;
  port: number;
  stop(): void;
  rows: Record<string, number>[];
}

async function startServer(label: string, dist: string): Promise<Build> {
  const child = spawn(process.execPath, [here("./server.mjs"), dist], { stdio: ["pipe", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once("data", (chunk: Buffer) => resolve(Number(String(chunk).trim())));
    child.once("exit", (code) => reject(new Error(`${label} server exited with ${code}`)));
  });
  return { label, dist, port, stop: () => child.stdin.end(), rows: [] };
}

/** One client process: its phases, and the wall time from spawn to exit as its parent sees it. */
function runClient(build: Build): Promise<Record<string, number>> {
  const spawned = performance.now();
  const child = spawn(process.execPath, [here("./client.mjs"), build.dist, String(build.port), String(pairs)], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (chunk: Buffer) => (out += String(chunk)));
  const timer = setTimeout(() => child.kill("SIGKILL"), CLIENT_TIMEOUT_MS);
  return new Promise((resolve, reject) => {
    child.once("close", (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`${build.label} client exited with ${code}`));
      const total = performance.now() - spawned;
      const phases = JSON.parse(out) as Phases;
      const row: Record<string, number> = { "node start ms": phases[0]![1], "node start cpu": phases[0]![2] };
      for (let i = 1; i < phases.length; i++) {
        const [name, at, cpu] = phases[i]!;
        row[`${name} ms`] = at - phases[i - 1]![1];
        row[`${name} cpu`] = cpu - phases[i - 1]![2];
      }
      row["exit ms"] = total - phases[phases.length - 1]![1];
      row["spawn to exit ms"] = total;
      row["cpu µs per call"] = (row["calls cpu"]! * 1000) / (2 * pairs);
      resolve(row);
    });
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

const builds = [await startServer("this tree", fileURLToPath(new URL("../../dist", import.meta.url)))];
if (values.base) builds.unshift(await startServer("base", values.base));
try {
  for (let r = 0; r < runs; r++) for (const b of builds) b.rows.push(await runClient(b));
} finally {
  for (const b of builds) b.stop();
}
const keys = Object.keys(builds[0]!.rows[0]!);
console.log(`W4 client process, ${pairs} x (get, inc), median of ${runs} (ms; cpu = ms of CPU, all threads)`);
console.log("".padEnd(18), ...builds.map((b) => b.label.padStart(10)));
for (const k of keys) console.log(k.padEnd(18), ...builds.map((b) => median(b.rows.map((row) => row[k]!)).toFixed(1).padStart(10)));
