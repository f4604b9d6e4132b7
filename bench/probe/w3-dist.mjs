/**
 * W3 (sequential 1 MiB echoes over tcp://) between two plain Node processes over built
 * dist/ directories, with no loader in either: what a deployed server and client pay, and
 * where each process's old generation sits against V8's 8 MB threshold for incremental
 * marking (a process under tsx carries about 2 MB more). Per side: CPU µs per echo (and its
 * system share), full collections, minor page faults, the old generation's size.
 * Usage: node bench/probe/w3-dist.mjs [echoes] [distDir ...]   (dirs alternate run by run; each
 * run is a fresh client process and a fresh server process, so no build's code weighs on another)
 * W3_BYTES=N echoes N bytes instead of 1 MiB (what the collections follow: fresh ArrayBuffer bytes).
 */
import { spawn } from "node:child_process";
import { constants, PerformanceObserver } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { getHeapSpaceStatistics } from "node:v8";

const MiB = 1024 * 1024;
const BYTES = Math.min(Math.max(Number(process.env.W3_BYTES) || MiB, 1), 64 * MiB);
const [role, ...rest] = process.argv.slice(2);

let majors = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) if (entry.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) majors++;
}).observe({ entryTypes: ["gc"] });

function oldGenerationMB() {
  let bytes = 0;
  for (const space of getHeapSpaceStatistics()) if (!space.space_name.startsWith("new_")) bytes += space.space_used_size;
  return Math.round((bytes / MiB) * 10) / 10;
}

/** What this process has spent so far. */
function usage() {
  const r = process.resourceUsage();
  return { cpu: r.userCPUTime + r.systemCPUTime, sys: r.systemCPUTime, faults: r.minorPageFault, majors, oldMB: oldGenerationMB() };
}

function per(a, b, n) {
  return { cpuUs: Math.round((b.cpu - a.cpu) / n), sysUs: Math.round((b.sys - a.sys) / n), fullGcs: b.majors - a.majors, faults: Math.round((b.faults - a.faults) / n), oldMB: b.oldMB };
}

const load = (dir) => import(pathToFileURL(`${dir.replace(/\/$/, "")}/index.js`).href);

if (role === "--server") {
  const farcall = await load(rest[0]);
  const server = await farcall.serve({ echo: (bytes) => bytes, usage }, { listen: "tcp://127.0.0.1:0", authkey: "w3" });
  process.stdout.write(`${new URL(server.addresses[0]).port}\n`);
  process.stdin.resume();
  process.stdin.on("end", () => process.exit(0));
} else if (role === "--client") {
  console.log(JSON.stringify({ dist: rest[0], ...(await run(rest[0], Number(rest[1]))) }));
} else {
  const echoes = Math.min(Math.max(Number(role) || 600, 10), 10_000);
  const dirs = rest.length > 0 ? rest : [new URL("../../dist", import.meta.url).pathname];
  for (const dir of dirs) {
    const client = spawn(process.execPath, [process.argv[1], "--client", dir, String(echoes)], { stdio: "inherit" });
    const code = await new Promise((resolve) => client.once("exit", resolve));
    if (code !== 0) throw new Error(`the client for ${dir} exited (${code})`);
  }
}

async function run(dir, echoes) {
  const child = spawn(process.execPath, [process.argv[1], "--server", dir], { stdio: ["pipe", "pipe", "inherit"] });
  try {
    const port = await new Promise((resolve, reject) => {
      child.once("exit", (code) => reject(new Error(`the server exited (${code})`)));
      child.stdout.once("data", (line) => resolve(String(line).trim()));
    });
    const farcall = await load(dir);
    const remote = await farcall.connect(`tcp://127.0.0.1:${port}`, { authkey: "w3" });
    const payload = new Uint8Array(BYTES).map((_, i) => i & 0xff);
    const echo = async () => {
      const back = await remote.echo(payload);
      if (back.length !== BYTES || back[BYTES - 1] !== ((BYTES - 1) & 0xff)) throw new Error("the echo changed the bytes");
    };
    for (let i = 0; i < 300; i++) await echo();
    const [server0, client0, t0] = [await remote.usage(), usage(), performance.now()];
    for (let i = 0; i < echoes; i++) await echo();
    const [t1, client1, server1] = [performance.now(), usage(), await remote.usage()];
    await farcall.close(remote);
    return { echoes, bytes: BYTES, MBps: Math.round((2 * echoes * BYTES) / 1e6 / ((t1 - t0) / 1000)), client: per(client0, client1, echoes), server: per(server0, server1, echoes) };
  } finally {
    child.stdin.end();
  }
}
