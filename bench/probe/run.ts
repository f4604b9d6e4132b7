/**
 * A probe of farcall/1's cost per call outside the bench harness: this process is the client,
 * a child runs the server (both load dist/, or PROBE_DIST's build). It reports CPU µs per call
 * on each side and calls per read and write syscall (/proc/self/io), and with
 * --profile=PREFIX writes PREFIX.client.cpuprofile and PREFIX.server.cpuprofile holding only
 * the measured window (no start-up, no warm-up).
 *   w1: sequential add(1, 2), after a second of warm-up
 *   w2: 100 add(1, 2) in flight, after a second of warm-up
 *   w4: 1000 get+inc pairs from a cold client against a cold server, as one W4 client's start
 *   w3: sequential echo of 1 MiB, after 300 echoes of warm-up (full collections counted per side)
 * Usage: node --import tsx bench/probe/run.ts w2 [seconds] [--profile=/tmp/w2]
 */
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { createInterface } from "node:readline";
import { AUTHKEY } from "../farcall/api.js";
import { TAG } from "../jobs.js";
import { distEntry, gcCounter, startProfile, type GcCounts } from "./profile.js";
import type { ProbeApi } from "./server.js";

type Remote = import("../../dist/index.js").Remote<ProbeApi>;

const [mode = "w2", secondsArg = "2"] = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const profile = process.argv.find((a) => a.startsWith("--profile="))?.slice("--profile=".length);
const seconds = Math.min(Math.max(Number(secondsArg) || 2, 0.1), 60);
if (!["w1", "w2", "w3", "w4"].includes(mode)) throw new TypeError(`mode must be w1, w2, w3 or w4, got ${mode}`);

// PROBE_SERVER_ARGS: node flags for the server alone, e.g. "--trace-gc".
const serverArgs = (process.env.PROBE_SERVER_ARGS ?? "").split(" ").filter(Boolean);
const server = spawn(process.execPath, [...serverArgs, "--import", "tsx", new URL("./server.ts", import.meta.url).pathname], { stdio: ["pipe", "pipe", "inherit"] });
const port = await new Promise<number>((resolve, reject) => {
  server.once("exit", (code) => reject(new Error(`the probe server exited (${String(code)})`)));
  createInterface({ input: server.stdout }).on("line", (line) => {
    if (line.startsWith(`${TAG.port} `)) resolve(Number(line.slice(TAG.port.length + 1)));
    else if (serverArgs.length > 0) process.stderr.write(`server: ${line}\n`);
  });
});
const farcall = (await import(distEntry())) as typeof import("../../dist/index.js");
const remote: Remote = await farcall.connect<ProbeApi>(`tcp://127.0.0.1:${port}`, { authkey: AUTHKEY });

function check(sum: number): void {
  if (sum !== 3) throw new Error(`add(1, 2) returned ${sum}`);
}

async function sequential(ms: number): Promise<number> {
  const end = performance.now() + ms;
  let calls = 0;
  while (performance.now() < end && calls < 10_000_000) {
    for (let i = 0; i < 100; i++) check(await remote.add(1, 2));
    calls += 100;
  }
  return calls;
}

function pipelined(ms: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const end = performance.now() + ms;
    let issued = 0;
    let done = 0;
    let stop = false;
    const onSum = (sum: number): void => {
      check(sum);
      done++;
      if (!stop && ((done & 127) === 0 && performance.now() > end || issued >= 50_000_000)) stop = true;
      if (!stop) {
        issued++;
        remote.add(1, 2).then(onSum, reject);
      } else if (done === issued) resolve(done);
    };
    for (let i = 0; i < 100; i++) {
      issued++;
      remote.add(1, 2).then(onSum, reject);
    }
  });
}

const payload = new Uint8Array(1024 * 1024).map((_, i) => i & 0xff);

/** W3: at most 600 echoes per second asked for, each checked at both ends and in the middle. */
async function echoes(ms: number): Promise<number> {
  const end = performance.now() + ms;
  const most = Math.ceil(ms * 0.6);
  let calls = 0;
  while (calls < most && performance.now() < end) {
    const back = await remote.echo(payload);
    if (back.length !== payload.length || back[0] !== 0 || back[0x8001] !== 1 || back[back.length - 1] !== 0xff) throw new Error("echo changed the bytes");
    calls++;
  }
  return calls;
}

async function counter(): Promise<number> {
  for (let i = 0; i < 1000; i++) {
    await remote.counter.get("probe");
    await remote.counter.inc("probe");
  }
  return 2000;
}

const run = mode === "w1" ? sequential : mode === "w2" ? pipelined : mode === "w3" ? echoes : counter;
if (mode === "w3") for (let i = 0; i < 300; i++) await remote.echo(payload);
else if (mode !== "w4") await run(1000);
const ownGc = gcCounter();

function syscalls(text: string): { reads: number; writes: number } {
  const field = (name: string): number => Number(/^(\w+): (\d+)$/m.exec(text.split("\n").find((l) => l.startsWith(`${name}:`)) ?? "")?.[2] ?? NaN);
  return { reads: field("syscr"), writes: field("syscw") };
}
const ownIo = (): string => readFileSync("/proc/self/io", "utf8");

let clientProfile: Awaited<ReturnType<typeof startProfile>> | undefined;
if (profile) {
  await remote.profileStart();
  clientProfile = await startProfile(new Session());
}
const [gc0, serverGc0] = [ownGc(), await remote.gc()];
const [io0, serverIo0, serverCpu0, cpu0, t0] = [syscalls(ownIo()), syscalls(await remote.io()), await remote.cpu(), process.cpuUsage(), performance.now()];
const calls = await run(seconds * 1000);
const [t1, cpu1, serverCpu1, io1, serverIo1] = [performance.now(), process.cpuUsage(cpu0), await remote.cpu(), syscalls(ownIo()), syscalls(await remote.io())];
const [gc1, serverGc1] = [ownGc(), await remote.gc()];
const gcDelta = (a: GcCounts, b: GcCounts): GcCounts => ({ major: b.major - a.major, minor: b.minor - a.minor, ms: b.ms - a.ms, oldMB: b.oldMB });
if (profile && clientProfile) {
  writeFileSync(`${profile}.client.cpuprofile`, JSON.stringify(await clientProfile.stop()));
  await remote.profileStop(`${profile}.server.cpuprofile`);
}
const per = (n: number): number => Math.round((calls / n) * 10) / 10;
console.log(
  JSON.stringify({
    mode,
    calls,
    callsPerSec: Math.round(calls / ((t1 - t0) / 1000)),
    cpuUsPerCall: { client: +((cpu1.user + cpu1.system) / calls).toFixed(3), server: +((serverCpu1 - serverCpu0) / calls).toFixed(3) },
    callsPerWrite: { client: per(io1.writes - io0.writes), server: per(serverIo1.writes - serverIo0.writes) },
    callsPerRead: { client: per(io1.reads - io0.reads), server: per(serverIo1.reads - serverIo0.reads) },
    gc: { client: gcDelta(gc0, gc1), server: gcDelta(serverGc0, serverGc1) },
  }),
);
await farcall.close(remote);
server.stdin.end();
