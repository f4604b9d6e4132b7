/**
 * The run's results: the table printed at the end, the targets farcall is held to, and the
 * JSON written to bench/results/. Every ratio is against the floor measured in the same run,
 * since on a shared two-core machine absolute figures drift from one run to the next.
 */
import { floorOf, type Framework, type FrameworkName } from "./frameworks.js";
import { isStreamWorkload, type WorkloadName, type WorkloadResult } from "./jobs.js";
import { bestOf, score } from "./stats.js";

/** Every round of one framework on one workload, and what went wrong. */
export interface Cell {
  rounds: WorkloadResult[];
  errors: string[];
}

export type Results = Map<FrameworkName, Map<WorkloadName, Cell>>;

export interface Target {
  workload: WorkloadName;
  what: string;
  value: number;
  target: number;
  met: boolean;
}

export function cellOf(results: Results, framework: FrameworkName, workload: WorkloadName): Cell {
  let byWorkload = results.get(framework);
  if (!byWorkload) results.set(framework, (byWorkload = new Map()));
  let cell = byWorkload.get(workload);
  if (!cell) byWorkload.set(workload, (cell = { rounds: [], errors: [] }));
  return cell;
}

function best(results: Results, framework: FrameworkName, workload: WorkloadName): WorkloadResult | undefined {
  return bestOf(results.get(framework)?.get(workload)?.rounds ?? []);
}

/**
 * Score of `framework` over its floor's (raw TCP, or the bare node:http handler for JSON-RPC
 * over HTTP), both the best of their rounds; undefined if either is missing.
 */
export function ratioToFloor(results: Results, framework: FrameworkName, workload: WorkloadName): number | undefined {
  const mine = best(results, framework, workload);
  const floor = best(results, floorOf(framework), workload);
  return mine && floor ? score(mine) / score(floor) : undefined;
}

/** W4 rounds whose counter did not read exactly `expected`, or whose loop the time bound cut. */
export function counterFailures(results: Results, expected: number): string[] {
  const failures: string[] = [];
  for (const [framework, byWorkload] of results) {
    for (const r of byWorkload.get("w4")?.rounds ?? []) {
      if (r.counter !== expected) failures.push(`${framework}: counter read ${r.counter} after W4, expected ${expected}`);
      if (r.complete === false) failures.push(`${framework}: W4 clients hit the time bound before finishing`);
    }
  }
  return failures;
}

/**
 * farcall's targets: W1 >= 0.8x floor, W2 >= 0.5x floor and >= 3x the best peer, W3 >= 0.7x
 * floor; over ws://, W2 >= 0.8x farcall over tcp:// and >= 3x capnweb over ws; W4 faster than
 * Python's own BaseManager, with farcall's clients and with Python's clients on pymanager://.
 */
export function targets(results: Results, frameworks: readonly Framework[]): Target[] {
  const out: Target[] = [];
  const vsFloor = (workload: WorkloadName, target: number): void => {
    const value = ratioToFloor(results, "farcall", workload);
    if (value !== undefined) out.push({ workload, what: "farcall / floor", value, target, met: value >= target });
  };
  vsFloor("w1", 0.8);
  vsFloor("w2", 0.5);
  const farcallW2 = best(results, "farcall", "w2");
  let bestPeer = 0;
  for (const f of frameworks) {
    const r = f.peer ? best(results, f.name, "w2") : undefined;
    if (r) bestPeer = Math.max(bestPeer, score(r));
  }
  if (farcallW2 && bestPeer > 0) {
    const value = score(farcallW2) / bestPeer;
    out.push({ workload: "w2", what: "farcall / best peer", value, target: 3, met: value >= 3 });
  }
  vsFloor("w3", 0.8);
  const ratio = (what: string, a: FrameworkName, b: FrameworkName, target: number): void => {
    const x = best(results, a, "w2");
    const y = best(results, b, "w2");
    if (x && y && score(y) > 0) out.push({ workload: "w2", what, value: score(x) / score(y), target, met: score(x) / score(y) >= target });
  };
  ratio("farcall ws / tcp", "farcall-ws", "farcall", 0.8);
  ratio("farcall ws / capnweb", "farcall-ws", "capnweb", 3);
  // W4 against Python's own manager, whose wall time is the mark: above 1 is faster than it.
  const python = best(results, "python-manager", "w4")?.wallMs;
  for (const [what, name] of [["farcall / Python's manager", "farcall"], ["Python clients: farcall server / Python's", "python-farcall"], ["Python clients: farcall server warmed / Python's", "python-farcall-warm"]] as const) {
    const wallMs = best(results, name, "w4")?.wallMs;
    if (python && wallMs) out.push({ workload: "w4", what, value: python / wallMs, target: 1, met: python / wallMs >= 1 });
  }
  return out;
}

/** What the table is about, for its headings. */
export interface Shape {
  inFlight: number;
  payloadBytes: number;
  /** W5: items per stream call (integers, chunks), and bytes per chunk. */
  streamInts: number;
  streamChunks: number;
  chunkBytes: number;
  counterClients: number;
  counterIterations: number;
}

function size(bytes: number): string {
  if (bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  return bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${bytes} B`;
}

function columns(shape: Shape): Record<WorkloadName, string[]> {
  const payload = size(shape.payloadBytes);
  return {
    w1: ["W1 seq add calls/s", "x floor", "p50 µs", "p99 µs", "cpu µs c/s"],
    w2: [`W2 ${shape.inFlight} in flight calls/s`, "x floor", "cpu µs c/s"],
    w3: [`W3 ${payload} echo MB/s`, "x floor", "cpu µs c/s"],
    w4: [`W4 ${shape.counterClients}x${shape.counterIterations} wall ms`, "x floor", "counter", "cpu µs c/s"],
    w5: ["W5 stream ints items/s", "x floor"],
    w5b: [`W5 stream ${size(shape.chunkBytes)} MB/s`, "x floor"],
  };
}

const int = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat("en-US", { minimumFractionDigits: 1, maximumFractionDigits: 1 });

/** Two decimals, or two significant digits below 0.1 (a stream's items/s is far below the floor's). */
function ratioText(ratio: number | undefined): string {
  if (ratio === undefined) return "-";
  return `${ratio >= 0.1 || ratio === 0 ? ratio.toFixed(2) : ratio.toPrecision(2)}x`;
}

function cells(results: Results, framework: FrameworkName, workload: WorkloadName, expectedCounter: number, width: number): string[] {
  const cell = results.get(framework)?.get(workload);
  const r = bestOf(cell?.rounds ?? []);
  if (!r) return [cell && cell.errors.length > 0 ? "error" : "-", ...Array<string>(width - 1).fill("")];
  const ratio = ratioText(ratioToFloor(results, framework, workload));
  switch (workload) {
    case "w1":
      return [int.format(r.callsPerSec), ratio, oneDecimal.format(r.p50Us ?? NaN), oneDecimal.format(r.p99Us ?? NaN), cpuText(r)];
    case "w2":
      return [int.format(r.callsPerSec), ratio, cpuText(r)];
    case "w5":
      return [int.format(r.callsPerSec), ratio];
    case "w3":
      return [int.format(r.mbPerSec ?? NaN), ratio, cpuText(r)];
    case "w5b":
      return [int.format(r.mbPerSec ?? NaN), ratio];
    case "w4": {
      const bad = cell!.rounds.find((x) => x.counter !== expectedCounter || x.complete === false);
      const counter = bad ? `${bad.counter} FAIL` : `${r.counter} ok`;
      return [int.format(r.wallMs ?? NaN), ratio, counter, cpuText(r)];
    }
  }
}

/** Client and server CPU per call, µs: "12.3/8.4" (a side that could not be read is "-"). */
function cpuText(r: WorkloadResult): string {
  const side = (us: number | undefined): string => (us === undefined ? "-" : oneDecimal.format(us));
  return `${side(r.clientCpuUs)}/${side(r.serverCpuUs)}`;
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  return rows
    .map((row) => row.map((text, c) => (c === 0 ? text.padEnd(widths[c]) : text.padStart(widths[c]))).join("  "))
    .join("\n");
}

/** The printed report: the table, the targets and anything that failed. */
export function renderReport(results: Results, frameworks: readonly Framework[], workloads: readonly WorkloadName[], shape: Shape): string {
  const heads = columns(shape);
  const expectedCounter = shape.counterClients * shape.counterIterations;
  const rows = [["framework", ...workloads.flatMap((w) => heads[w])]];
  for (const f of frameworks) rows.push([f.label, ...workloads.flatMap((w) => cells(results, f.name, w, expectedCounter, heads[w].length))]);
  const lines = [table(rows), ""];
  lines.push("x floor: figure / the floor's figure in this run (W4: floor wall time / wall time); higher is better.");
  lines.push("The floor of farcall JSON-RPC/HTTP is the bare node:http handler; W2 for both HTTP contenders is at most 64 requests at once over 64 keep-alive connections.");
  lines.push("W3 counts payload bytes in both directions (twice the payload per round trip), MB = 10^6 B.");
  lines.push("cpu µs c/s: user + system CPU per call of the client process / of the server process over the measured window (the server's from /proc, 10 ms resolution); steadier than calls/s on a busy machine. For HTTP contenders with several connections it is all of the client's calls; for W4 all five client processes together, per call.");
  if (workloads.some(isStreamWorkload)) {
    lines.push(`W5: one consumer reads server streams of ${int.format(shape.streamInts)} integers or ${int.format(shape.streamChunks)} chunks with for-await, one stream after another; W5 MB/s counts the chunks' bytes (one direction).`);
  }
  const goals = targets(results, frameworks);
  if (goals.length > 0) {
    lines.push("", "targets:");
    const width = Math.max(...goals.map((t) => t.what.length));
    for (const t of goals) {
      lines.push(`  ${t.workload}  ${t.what.padEnd(width)} ${t.value.toFixed(2).padStart(6)}x   target >= ${t.target.toFixed(2)}x   ${t.met ? "met" : "MISSED"}`);
    }
  }
  const problems: string[] = counterFailures(results, expectedCounter).map((f) => `FAIL ${f}`);
  for (const f of frameworks) {
    for (const w of workloads) for (const e of results.get(f.name)?.get(w)?.errors ?? []) problems.push(`error ${f.name} ${w}: ${e}`);
  }
  // A server that did not start fails every workload with the same message: say it once.
  if (problems.length > 0) lines.push("", ...new Set(problems));
  return lines.join("\n");
}

/** The JSON document written to bench/results/. */
export function resultsJson(results: Results, frameworks: readonly Framework[], expectedCounter: number, meta: Record<string, unknown>): unknown {
  const byFramework: Record<string, unknown> = {};
  for (const f of frameworks) {
    const byWorkload: Record<string, unknown> = {};
    for (const [w, cell] of results.get(f.name) ?? []) {
      byWorkload[w] = { best: bestOf(cell.rounds) ?? null, ratioToFloor: ratioToFloor(results, f.name, w) ?? null, rounds: cell.rounds, errors: cell.errors };
    }
    byFramework[f.name] = byWorkload;
  }
  return {
    ...meta,
    frameworks: byFramework,
    targets: targets(results, frameworks),
    counterFailures: counterFailures(results, expectedCounter),
  };
}
