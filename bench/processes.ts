/**
 * The orchestrator side of the child protocol: start a server or client file in its own
 * process (plain Node over the file bundled by child-entry.ts, or python3 for a .py file), read its tagged stdout lines, talk to it on stdin, and make sure
 * none outlives the run, whether it ends normally, throws, or is interrupted.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { nodeEntryArgs } from "./child-entry.js";
import type { Job } from "./jobs.js";

/** Every child still running; killed on exit. */
const live = new Set<ChildProcess>();

/** Keep this much of a child's stderr, to explain a failure. */
const STDERR_TAIL_BYTES = 4096;

/** Extra node flags for every child, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile them. */
const EXTRA_NODE_ARGS = (process.env.BENCH_NODE_ARGS ?? "").split(" ").filter(Boolean);

/**
 * glibc malloc tunables every child gets unless the environment sets them. By default glibc
 * serves each 1 MiB buffer with mmap and hands it back with munmap, so every W3 round trip
 * page-faults its buffers in again; on this VM that made W3 swing 4x from run to run,
 * depending on how long a server had sat idle. Keeping freed memory in the heap measures the
 * frameworks, not the allocator, and it applies to every contender alike.
 */
export const ALLOCATOR_ENV = Object.freeze({ MALLOC_MMAP_THRESHOLD_: "67108864", MALLOC_TRIM_THRESHOLD_: "268435456" });

/** Grace a child gets to exit after its stdin closes before it is killed. */
const STOP_GRACE_MS = 2000;

interface Waiter {
  tag: string;
  resolve(payload: unknown): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

export class ChildRun {
  private readonly proc: ChildProcess;
  private readonly lines: string[] = [];
  private waiter: Waiter | undefined;
  private stderrTail = "";
  private exitDescription: string | undefined;
  private readonly exited: Promise<void>;

  /** The child's process id (0 once it could not be started). */
  get pid(): number {
    return this.proc.pid ?? 0;
  }

  constructor(
    readonly name: string,
    file: string,
    job?: Job,
    extraEnv?: Readonly<Record<string, string>>,
  ) {
    const env = { ...ALLOCATOR_ENV, ...process.env, ...extraEnv, BENCH_JOB: job ? JSON.stringify(job) : "" };
    const [command, args] = file.endsWith(".py") ? ["python3", [file]] : [process.execPath, [...EXTRA_NODE_ARGS, ...nodeEntryArgs(file)]];
    this.proc = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"], env });
    live.add(this.proc);
    createInterface({ input: this.proc.stdout! }).on("line", (line) => this.onLine(line));
    this.proc.stderr!.on("data", (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString()).slice(-STDERR_TAIL_BYTES);
    });
    // Writing to a child that has just died raises EPIPE here; its exit is reported instead.
    this.proc.stdin!.on("error", () => {});
    // "close", not "exit": it comes after stdout is drained, so a result printed just before
    // exiting is never mistaken for a child that died silently.
    this.exited = new Promise((resolve) => {
      this.proc.on("close", (code, signal) => {
        live.delete(this.proc);
        this.exitDescription = signal ? `killed by ${signal}` : `exited with code ${code}`;
        this.failWaiter();
        resolve();
      });
    });
    this.proc.on("error", (error) => {
      this.exitDescription = `could not start: ${error.message}`;
      this.failWaiter();
    });
  }

  private onLine(line: string): void {
    this.lines.push(line);
    if (this.waiter) this.take(this.waiter);
  }

  /** Hands the waiter the first queued line with its tag, dropping lines before it. */
  private take(waiter: Waiter): boolean {
    const prefix = `${waiter.tag} `;
    const index = this.lines.findIndex((line) => line.startsWith(prefix));
    if (index < 0) return false;
    const line = this.lines.splice(0, index + 1)[index];
    clearTimeout(waiter.timer);
    this.waiter = undefined;
    try {
      waiter.resolve(JSON.parse(line.slice(prefix.length)));
    } catch (error) {
      waiter.reject(new Error(`${this.name}: bad ${waiter.tag} line: ${String(error)}`));
    }
    return true;
  }

  private failWaiter(): void {
    const waiter = this.waiter;
    if (!waiter) return;
    this.waiter = undefined;
    clearTimeout(waiter.timer);
    waiter.reject(new Error(`${this.name} ${this.exitDescription ?? "stopped"} before ${waiter.tag}${this.describeStderr()}`));
  }

  private describeStderr(): string {
    // Stack frames say where, the other lines say what: keep those.
    const lines = this.stderrTail.split("\n").filter((line) => line.trim() !== "" && !/^\s+at /.test(line));
    return lines.length > 0 ? `:\n${lines.slice(-8).join("\n")}` : "";
  }

  /** The JSON payload of the child's next line tagged `tag`. */
  expect<T>(tag: string, timeoutMs: number): Promise<T> {
    if (this.waiter) return Promise.reject(new Error(`${this.name}: already waiting for ${this.waiter.tag}`));
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error(`${this.name}: no ${tag} within ${timeoutMs} ms${this.describeStderr()}`));
      }, timeoutMs);
      const waiter: Waiter = { tag, resolve: resolve as (payload: unknown) => void, reject, timer };
      if (this.take(waiter)) return;
      if (this.exitDescription) {
        clearTimeout(timer);
        reject(new Error(`${this.name} ${this.exitDescription} before ${tag}${this.describeStderr()}`));
        return;
      }
      this.waiter = waiter;
    });
  }

  /** Sends one command line on the child's stdin. */
  send(line: string): void {
    if (!this.exitDescription) this.proc.stdin!.write(`${line}\n`);
  }

  /** Closes the child's stdin (it exits on that) and kills it if it lingers. */
  async stop(): Promise<void> {
    if (this.exitDescription) return;
    this.proc.stdin!.end();
    const timer = setTimeout(() => this.proc.kill("SIGKILL"), STOP_GRACE_MS);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Kills every child still running. Safe to call more than once. */
export function killAll(): void {
  for (const proc of live) proc.kill("SIGKILL");
  live.clear();
}
