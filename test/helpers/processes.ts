/**
 * Child processes for tests that need a peer in another OS process (to stop, kill or
 * restart it). Output is read line by line so a test awaits what the child says instead of
 * sleeping; every wait is bounded; every child still running when the test process exits
 * is killed.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The repository root, the working directory of every child (so `--import tsx` resolves). */
const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** How much of a child's stderr is kept for failure messages. */
const STDERR_TAIL_BYTES = 4096;

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

export class TestProcess {
  readonly child: ChildProcess;
  /** Resolves when the process has exited, for whatever reason. */
  readonly exited: Promise<void>;
  private readonly lines: string[] = [];
  /** Index of the first line `nextLine()` has not consumed yet. */
  private cursor = 0;
  private partial = "";
  private stderr = "";
  private wake: (() => void) | undefined;

  constructor(args: string[], env?: Record<string, string>) {
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.once("exit", () => {
        for (const child of running) child.kill("SIGKILL");
      });
    }
    this.child = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: env ? { ...process.env, ...env } : process.env });
    running.add(this.child);
    this.child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      const parts = (this.partial + chunk).split("\n");
      this.partial = parts.pop()!;
      this.lines.push(...parts);
      this.wake?.();
    });
    this.child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-STDERR_TAIL_BYTES);
    });
    this.exited = new Promise((resolve) => {
      this.child.once("exit", () => {
        running.delete(this.child);
        this.wake?.();
        resolve();
      });
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /**
   * The next unconsumed stdout line matching `pattern` (lines before it are consumed too).
   * Rejects if the process exits first or nothing matches within `ms`. One caller at a time:
   * lines are consumed in order.
   */
  async nextLine(pattern: RegExp, ms: number): Promise<RegExpMatchArray> {
    const until = Date.now() + ms;
    for (;;) {
      while (this.cursor < this.lines.length) {
        const match = this.lines[this.cursor++].match(pattern);
        if (match) return match;
      }
      if (!this.alive) throw new Error(`process ${this.pid} exited (${this.child.signalCode ?? this.child.exitCode}) before printing ${pattern}; stderr:\n${this.stderr}`);
      const left = until - Date.now();
      if (left <= 0) throw new Error(`process ${this.pid} printed no line matching ${pattern} within ${ms} ms; stderr:\n${this.stderr}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  /** Sends `signal`; resolves once the process has exited (for signals that end it). */
  async kill(signal: NodeJS.Signals = "SIGKILL", ms = 5000): Promise<void> {
    if (!this.alive) return;
    this.child.kill(signal);
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      this.exited,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`process ${this.pid} did not exit within ${ms} ms of ${signal}`)), ms);
      }),
    ]).finally(() => clearTimeout(timer));
  }

  /** Ends the process whatever its state (a stopped process is continued first). For `t.after`. */
  async stop(): Promise<void> {
    if (!this.alive) return;
    this.child.kill("SIGCONT");
    await this.kill("SIGKILL");
  }
}

/** Starts `node <args>` in the repository root, with `env` over this process's environment. */
export function spawnNode(args: string[], env?: Record<string, string>): TestProcess {
  return new TestProcess(args, env);
}

/** Starts a TypeScript file (a path relative to the repository root, or absolute) under tsx. */
export function spawnTs(file: string, args: string[] = []): TestProcess {
  return new TestProcess(["--import", "tsx", file, ...args]);
}
