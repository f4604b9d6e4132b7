/**
 * The probe's server: the bench api's add and counter over tcp://, plus what the probe reads
 * of this process (CPU time, syscall counts) and V8's profiler started and stopped on request,
 * so a profile holds only the measured window.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { announcePort, die, watchParent } from "../child.js";
import { AUTHKEY } from "../farcall/api.js";
import { distEntry, gcCounter, startProfile, type Profiler } from "./profile.js";

const counts = new Map<string, number>();
let profiler: Profiler | undefined;

export const probeApi = {
  add: (a: number, b: number): number => a + b,
  echo: (bytes: Uint8Array): Uint8Array => bytes,
  /** Garbage collections of this process so far, by kind. */
  gc: gcCounter(),
  counter: {
    get: (key: string): number => counts.get(key) ?? 0,
    inc(key: string): void {
      counts.set(key, (counts.get(key) ?? 0) + 1);
    },
  },
  /** User + system CPU µs of this process so far. */
  cpu(): number {
    const u = process.cpuUsage();
    return u.user + u.system;
  },
  /** Read and write syscalls of this process so far. */
  io: (): string => readFileSync("/proc/self/io", "utf8"),
  async profileStart(): Promise<void> {
    profiler = await startProfile(new Session());
  },
  async profileStop(file: string): Promise<void> {
    if (profiler) writeFileSync(file, JSON.stringify(await profiler.stop()));
    profiler = undefined;
  },
};

export type ProbeApi = typeof probeApi;

watchParent();
const { serve } = (await import(distEntry())) as typeof import("../../dist/index.js");
serve(probeApi, { listen: "tcp://127.0.0.1:0", authkey: AUTHKEY }).then(
  (server) => announcePort(Number(new URL(server.addresses[0]).port)),
  die,
);
