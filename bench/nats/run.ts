/**
 * farcall on NATS against farcall over TCP, in one run: W2 (add(1, 2), 100 calls in flight)
 * over tcp:// against one instance, over nats:// against 1 and against 3 instances; W1 (one
 * call at a time) latency over nats:// and tcp://. Every server, instance and client is its
 * own process on 127.0.0.1, with a nats-server (no JetStream) started by this script.
 *
 * Besides calls/s it reports the CPU time each process used during the W2 measurement and
 * how busy the machine's cores were (all processes, the neighbours' too), which is what
 * decides whether 3 instances can do more than 1.
 *
 * With `--baseline=DIR` (a checkout of another commit, its node_modules in place) the
 * nats:// 1-instance setup also runs with DIR's instance and client, in the same rounds, so
 * a change is measured against what it changed in one run:
 *   git archive COMMIT | tar -x -C /tmp/base && ln -s "$PWD/node_modules" /tmp/base/
 *
 *   node --import tsx bench/nats/run.ts [--seconds=3] [--rounds=2] [--baseline=DIR]
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { children, cpuMsOf, freePort, natsServerBinary, ROOT, start } from "./processes.js";

const flag = (name: string, fallback: number): number => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? fallback);
const seconds = flag("seconds", Number(process.env.BENCH_SECONDS ?? 3));
const rounds = flag("rounds", 2);
const baselineArg = process.argv.find((a) => a.startsWith("--baseline="))?.slice("--baseline=".length);
const baseline = baselineArg === undefined ? undefined : `${baselineArg.replace(/\/+$/, "")}/`;
const W1_MAX = 100_000;
const W2_MAX = 1_000_000;

/** A farcall instance process listening on `listen` (of the tree at `root`), and the address it announced. */
async function startInstance(listen: string, root = ROOT): Promise<{ child: ChildProcess; url: string }> {
  const { child, line } = await start(process.execPath, ["--import", "tsx", `${root}bench/nats/instance.ts`, listen], /^listening /, false, root);
  return { child, url: line.slice("listening ".length).trim() };
}

interface ClientResult {
  calls: number;
  seconds: number;
  cpuMs: number;
  p50Us?: number;
  p99Us?: number;
}

function runClient(url: string, workload: "w1" | "w2", root = ROOT): Promise<ClientResult> {
  const max = workload === "w1" ? W1_MAX : W2_MAX;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", `${root}bench/nats/client.ts`, url, workload, String(seconds), String(max)], { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.once("exit", (code) => (code === 0 ? resolve(JSON.parse(out) as ClientResult) : reject(new Error(`client ${url} ${workload} exited ${code}`))));
  });
}

/** Busy and total jiffies of all cores together, from /proc/stat. */
function machineTicks(): { busy: number; total: number } {
  const cpu = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = cpu.reduce((a, b) => a + b, 0);
  return { busy: total - cpu[3]! - cpu[4]!, total };
}

interface Measured extends ClientResult {
  callsPerSec: number;
  /** CPU used during the measurement, ms per second of wall time (1000 = one core), by process role. */
  cores: Record<string, number>;
  /** All cores' busy share during the measurement, in cores (every process on the machine). */
  machineCores: number;
}

/** One client run against `url`, with the CPU of the `watched` processes over it. */
async function measure(url: string, workload: "w1" | "w2", watched: Record<string, ChildProcess[]>, root = ROOT): Promise<Measured> {
  const before = Object.fromEntries(Object.entries(watched).map(([role, ps]) => [role, ps.reduce((sum, p) => sum + cpuMsOf(p.pid!), 0)]));
  const ticks0 = machineTicks();
  const result = await runClient(url, workload, root);
  const ticks1 = machineTicks();
  const cores: Record<string, number> = { client: result.cpuMs / result.seconds };
  for (const [role, ps] of Object.entries(watched)) cores[role] = (ps.reduce((sum, p) => sum + cpuMsOf(p.pid!), 0) - before[role]!) / result.seconds;
  const machineCores = ((ticks1.busy - ticks0.busy) / (ticks1.total - ticks0.total)) * cpus().length;
  return { ...result, callsPerSec: result.calls / result.seconds, cores, machineCores };
}

const fmt = (n: number): string => Math.round(n).toLocaleString("en-US");
const coresText = (m: Measured): string =>
  Object.entries(m.cores)
    .map(([role, ms]) => `${role} ${(ms / 1000).toFixed(2)}`)
    .join(", ");
/** CPU time per call, µs, by role: the cost of a call whatever else shares the machine. */
const perCallText = (m: Measured): string =>
  Object.entries(m.cores)
    .map(([role, ms]) => `${role} ${((ms * 1000) / m.callsPerSec).toFixed(1)}`)
    .join(", ");

const load0 = loadavg();
const natsPort = await freePort();
const nats = await start(natsServerBinary(), ["-a", "127.0.0.1", "-p", String(natsPort)], /Server is ready/, true);
const natsUrl = `nats://127.0.0.1:${natsPort}`;
const tcp = await startInstance("tcp://127.0.0.1:0");
const one = await startInstance(`${natsUrl}/bench1`);
const three = await Promise.all([1, 2, 3].map(() => startInstance(`${natsUrl}/bench3`)));

interface Setup {
  name: string;
  url: string;
  watched: Record<string, ChildProcess[]>;
  /** The tree whose client runs (its instances were started from it too). */
  root?: string;
}
const setups: Setup[] = [
  { name: "tcp://, 1 instance", url: tcp.url, watched: { instance: [tcp.child] } },
  { name: "nats://, 1 instance", url: `${natsUrl}/bench1`, watched: { "nats-server": [nats.child], instance: [one.child] } },
  { name: "nats://, 3 instances", url: `${natsUrl}/bench3`, watched: { "nats-server": [nats.child], instances: three.map((i) => i.child) } },
];
if (baseline !== undefined) {
  const base = await startInstance(`${natsUrl}/bench1base`, baseline);
  setups.push({ name: "nats://, 1 instance, baseline", url: `${natsUrl}/bench1base`, watched: { "nats-server": [nats.child], instance: [base.child] }, root: baseline });
}
/** The setups with a W1 measurement too. */
const withW1 = setups.filter((s) => s.name !== "nats://, 3 instances");

try {
  const best = new Map<string, Measured>();
  const keep = (key: string, m: Measured, better: (a: Measured, b: Measured) => boolean): void => {
    const old = best.get(key);
    if (!old || better(m, old)) best.set(key, m);
  };
  for (let round = 0; round < rounds; round++) {
    // Rotate the order each round so no setup always runs first (or last) on a shared machine.
    const order = setups.map((_, i) => setups[(i + round) % setups.length]!);
    for (const setup of order) {
      keep(`w2 ${setup.name}`, await measure(setup.url, "w2", setup.watched, setup.root), (a, b) => a.callsPerSec > b.callsPerSec);
      if (withW1.includes(setup)) keep(`w1 ${setup.name}`, await measure(setup.url, "w1", setup.watched, setup.root), (a, b) => a.p50Us! < b.p50Us!);
    }
  }
  const w2 = (name: string): Measured => best.get(`w2 ${name}`)!;
  const w1 = (name: string): Measured => best.get(`w1 ${name}`)!;
  const tcpW2 = w2(setups[0]!.name).callsPerSec;
  const oneW2 = w2(setups[1]!.name).callsPerSec;
  const lines = [
    `farcall over NATS vs TCP, add(1, 2), ${seconds} s per measurement, best of ${rounds} rounds; ${cpus().length} cores, load average ${load0.map((l) => l.toFixed(2)).join(" ")} before, ${loadavg().map((l) => l.toFixed(2)).join(" ")} after`,
    "",
    "| W2, 100 in flight | calls/s | x TCP | x NATS 1 instance | CPU used, cores (client, server side) | CPU per call, µs | all cores busy |",
    "|---|---|---|---|---|---|---|",
    ...setups.map((s) => {
      const m = w2(s.name);
      return `| ${s.name} | ${fmt(m.callsPerSec)} | ${(m.callsPerSec / tcpW2).toFixed(2)}x | ${s.url.startsWith("nats") ? `${(m.callsPerSec / oneW2).toFixed(2)}x` : ""} | ${coresText(m)} | ${perCallText(m)} | ${m.machineCores.toFixed(2)} of ${cpus().length} |`;
    }),
    "",
    "| W1, one call at a time | calls/s | p50 µs | p99 µs | CPU per call, µs |",
    "|---|---|---|---|---|",
    ...withW1.map((s) => {
      const m = w1(s.name);
      return `| ${s.name} | ${fmt(m.callsPerSec)} | ${fmt(m.p50Us!)} | ${fmt(m.p99Us!)} | ${perCallText(m)} |`;
    }),
  ];
  console.log(lines.join("\n"));
} finally {
  for (const child of children) if (child !== nats.child) child.stdin?.end();
  nats.child.kill();
}
