/**
 * Run settings from flags and environment variables; flags win. Defaults keep a full run
 * under about three minutes on two cores; --quick (BENCH_QUICK=1) is a ~30 s smoke run.
 */
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { FRAMEWORKS, type FrameworkName } from "./frameworks.js";
import { DEFAULT_WORKLOADS, WORKLOADS, type Job, type WorkloadName } from "./jobs.js";

export type JobTemplate = Omit<Job, "port" | "workload" | "serverPid">;

export interface BenchConfig {
  rounds: number;
  workloads: WorkloadName[];
  frameworks: FrameworkName[];
  /** Where the JSON results go. */
  out: string;
  /** W4: client processes running at once. */
  counterClients: number;
  jobs: Record<WorkloadName, JobTemplate>;
  quick: boolean;
  /** The seed counter workload of Python's managers (opt-in), and its loops per client. */
  pymanager: boolean;
  pymanagerLoops: number;
}

export const USAGE = `usage: npm run bench -- [options]   (or: node --import tsx bench/run.ts [options])

  --quick               short smoke run, ~30-60 s, W4 with 5x200      env BENCH_QUICK=1
  --rounds=N            rounds per workload, best one reported        env BENCH_ROUNDS     (default 2, quick 1)
  --seconds=S           measured seconds per W1/W2/W3 run             env BENCH_SECONDS    (default 1.5, quick 0.6)
  --workloads=LIST      any of w1,w2,w3,w4,w5,w5b,pymanager           env BENCH_WORKLOADS  (default w1,w2,w3,w4;
                        w5 = both streams: integers and 64 KiB chunks)
  --pymanager           add the Python manager counter workload       env BENCH_PYMANAGER=1 (needs python3)
  --pymanager-loops=N   (get, inc) pairs per client process there     env BENCH_PYMANAGER_LOOPS (default 50; 1000 = the seed's)
  --frameworks=LIST     ${`any of ${FRAMEWORKS.map((f) => f.name).join(",")}`.padEnd(46)}env BENCH_FRAMEWORKS (default all but farcall-resume)
  --out=FILE            JSON results                                  env BENCH_OUT        (default bench/results/latest.json)
  --help`;

/** W4 is the origin workload: 5 clients x 1000 (get, inc); a quick run does 200 each. */
const COUNTER_CLIENTS = 5;
const COUNTER_ITERATIONS = 1000;
const QUICK_COUNTER_ITERATIONS = 200;
const COUNTER_TIME_BOUND_MS = 60_000;
const PAYLOAD_BYTES = 1024 * 1024;
const IN_FLIGHT = 100;
/** W5: integers per stream call, and W5b: chunks per stream call and their size. */
const STREAM_INTS = 200_000;
const STREAM_CHUNKS = 2_000;
const CHUNK_BYTES = 64 * 1024;
/** Python's function-style client needs ~0.45 s per loop on loopback: 50 keeps it under a minute. */
const PYMANAGER_LOOPS = 50;

function list<T extends string>(name: string, raw: string | undefined, allowed: readonly T[], defaults: readonly T[] = allowed): T[] {
  if (raw === undefined || raw.trim() === "") return [...defaults];
  const picked = raw.split(",").map((s) => s.trim().toLowerCase()).filter(Boolean);
  for (const p of picked) {
    if (!allowed.includes(p as T)) throw new RangeError(`${name}: unknown ${JSON.stringify(p)}, expected some of ${allowed.join(",")}`);
  }
  return allowed.filter((a) => picked.includes(a));
}

function positive(name: string, raw: string | undefined, fallback: number, integer: boolean): number {
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new RangeError(`${name} must be a positive ${integer ? "integer" : "number"}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** Parses argv (without node and the script) and env; throws RangeError naming a bad setting. */
export function parseConfig(argv: string[], env: NodeJS.ProcessEnv): BenchConfig | "help" {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: "boolean" },
      rounds: { type: "string" },
      seconds: { type: "string" },
      workloads: { type: "string" },
      frameworks: { type: "string" },
      out: { type: "string" },
      pymanager: { type: "boolean" },
      "pymanager-loops": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return "help";
  const quick = values.quick ?? (env.BENCH_QUICK !== undefined && env.BENCH_QUICK !== "" && env.BENCH_QUICK !== "0");
  const rounds = positive("rounds", values.rounds ?? env.BENCH_ROUNDS, quick ? 1 : 2, true);
  const seconds = positive("seconds", values.seconds ?? env.BENCH_SECONDS, quick ? 0.6 : 1.5, false);
  const durationMs = Math.round(seconds * 1000);
  const warmupMs = quick ? 200 : 500;
  const iterations = quick ? QUICK_COUNTER_ITERATIONS : COUNTER_ITERATIONS;
  // "pymanager" is not one of the framework workloads: pick it out of the list.
  const rawWorkloads = values.workloads ?? env.BENCH_WORKLOADS;
  const picked = (rawWorkloads ?? "").split(",").map((w) => w.trim().toLowerCase()).filter(Boolean);
  // "w5" names the stream workload as a whole: the integers and the 64 KiB chunks.
  const others = picked.filter((w) => w !== "pymanager").flatMap((w) => (w === "w5" ? ["w5", "w5b"] : [w]));
  const pymanager = (values.pymanager ?? (env.BENCH_PYMANAGER !== undefined && env.BENCH_PYMANAGER !== "" && env.BENCH_PYMANAGER !== "0")) || picked.includes("pymanager");
  const workloads = picked.length > 0 && others.length === 0 ? [] : list("workloads", others.join(","), WORKLOADS, DEFAULT_WORKLOADS);
  const base = { warmupMs, durationMs, inFlight: IN_FLIGHT, payloadBytes: PAYLOAD_BYTES, iterations, streamItems: 0, chunkBytes: 0 };
  return {
    quick,
    rounds,
    workloads,
    pymanager,
    pymanagerLoops: positive("pymanager-loops", values["pymanager-loops"] ?? env.BENCH_PYMANAGER_LOOPS, PYMANAGER_LOOPS, true),
    frameworks: list("frameworks", values.frameworks ?? env.BENCH_FRAMEWORKS, FRAMEWORKS.map((f) => f.name), FRAMEWORKS.filter((f) => !f.optIn).map((f) => f.name)),
    out: values.out ?? env.BENCH_OUT ?? fileURLToPath(new URL("./results/latest.json", import.meta.url)),
    counterClients: COUNTER_CLIENTS,
    jobs: {
      // Count bounds sit far above what the time bound allows, so time decides in practice.
      w1: { ...base, warmupCalls: 50_000, maxCalls: 2_000_000 },
      w2: { ...base, warmupCalls: 2_000_000, maxCalls: 20_000_000 },
      w3: { ...base, warmupCalls: 20, maxCalls: 100_000 },
      w4: { ...base, warmupMs: 0, warmupCalls: 0, durationMs: COUNTER_TIME_BOUND_MS, maxCalls: 2 * iterations },
      // W5 counts items, not calls: a stream call moves streamItems of them.
      w5: { ...base, warmupCalls: 20_000, maxCalls: 20_000_000, streamItems: STREAM_INTS },
      w5b: { ...base, warmupCalls: 200, maxCalls: 200_000, streamItems: STREAM_CHUNKS, chunkBytes: CHUNK_BYTES },
    },
  };
}
