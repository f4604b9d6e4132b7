/**
 * CPU time per call, client and server, over a workload's measured window: on a shared,
 * noisy machine wall-clock throughput drifts with the neighbours, while the CPU a call costs
 * each side drifts much less. The client reads its own process.cpuUsage(); the server's is
 * read from /proc/<pid>/stat (Linux), since it runs in another process. Either figure is
 * absent where it cannot be read.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

/** Clock ticks per second of /proc's utime and stime. */
const CLK_TCK = ((): number => {
  try {
    const ticks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
    return Number.isFinite(ticks) && ticks > 0 ? ticks : 100;
  } catch {
    return 100; // Linux's USER_HZ nearly everywhere
  }
})();

/** User + system CPU of process `pid` in µs, or undefined where /proc cannot tell. */
export function processCpuUs(pid: number): number | undefined {
  if (!pid) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces) start at field 3, "state".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLK_TCK;
  } catch {
    return undefined;
  }
}

/** CPU per call over one measured window. */
export interface CpuPerCall {
  /** The client process's user + system µs per call. */
  clientCpuUs?: number;
  /** The server process's user + system µs per call (10 ms resolution, so long windows only). */
  serverCpuUs?: number;
}

/** A measured window: opened where the timed loop starts, closed with its call count. */
export class CpuWindow {
  private readonly client = process.cpuUsage();
  private readonly server: number | undefined;

  constructor(private readonly serverPid: number) {
    this.server = processCpuUs(serverPid);
  }

  /** The CPU each side spent per call since the window opened. */
  perCall(calls: number): CpuPerCall {
    if (calls <= 0) return {};
    const used = process.cpuUsage(this.client);
    const out: CpuPerCall = { clientCpuUs: (used.user + used.system) / calls };
    const server = processCpuUs(this.serverPid);
    if (server !== undefined && this.server !== undefined) out.serverCpuUs = (server - this.server) / calls;
    return out;
  }
}
