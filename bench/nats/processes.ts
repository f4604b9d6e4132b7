/**
 * Processes of the NATS benchmarks: a nats-server binary, a free loopback port, a child
 * started and awaited until it prints a line, and a process's CPU time. Children are killed
 * when the benchmark exits.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Every child started, for a benchmark to stop at its end. */
export const children: ChildProcess[] = [];
process.once("exit", () => children.forEach((c) => c.kill("SIGKILL")));

export function natsServerBinary(): string {
  for (const bin of ["nats-server", "/usr/sbin/nats-server", "/usr/local/bin/nats-server"]) {
    if (bin.startsWith("/") && !existsSync(bin)) continue;
    if (spawnSync(bin, ["--version"]).status === 0) return bin;
  }
  throw new Error("nats-server is not installed (apt-get install nats-server)");
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** Spawns a process and resolves with it once a stdout line matches `ready` (stderr: `readyOnStderr`). */
export function start(cmd: string, args: string[], ready: RegExp, readyOnStderr = false, cwd = ROOT): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(cmd, args, { cwd, stdio: ["pipe", "pipe", readyOnStderr ? "pipe" : "inherit"] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = "";
    (readyOnStderr ? child.stderr! : child.stdout!).setEncoding("utf8").on("data", (d: string) => {
      out += d;
      const line = out.split("\n").find((l) => ready.test(l));
      if (line) resolve({ child, line });
    });
    child.once("exit", (code) => reject(new Error(`${cmd} ${args.join(" ")} exited (${code}) before it was ready:\n${out.slice(-2000)}`)));
  });
}

/** CPU time (user + system) a process has used so far, ms. */
export function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in USER_HZ (100 on Linux)
}

