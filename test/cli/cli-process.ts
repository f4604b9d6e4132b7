/**
 * Runs the built `farcall` command as a user would (node dist/cli/main.js ...), for the CLI
 * tests. Every process started here is killed when its test ends.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { TestContext } from "node:test";

export const REPO = fileURLToPath(new URL("../../", import.meta.url));
export const MAIN = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));

/** Fails early, saying why, when the CLI has not been built. */
export function requireBuild(): void {
  assert.ok(existsSync(MAIN), `${MAIN} is missing: run "npm run build" before the CLI tests`);
}

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The environment of a child: this one without FARCALL_AUTHKEY, plus `env`. */
function childEnv(env: Record<string, string> = {}): NodeJS.ProcessEnv {
  const out = { ...process.env, ...env };
  if (!("FARCALL_AUTHKEY" in env)) delete out.FARCALL_AUTHKEY;
  return out;
}

/** Runs `farcall ...args` to completion. */
export async function runCli(t: TestContext, args: string[], env?: Record<string, string>): Promise<Finished> {
  const child = spawn(process.execPath, [MAIN, ...args], { cwd: REPO, env: childEnv(env), stdio: ["ignore", "pipe", "pipe"] });
  killAfter(t, child);
  return finished(child);
}

/** Collects a child's output until it exits. */
export function finished(child: ChildProcess): Promise<Finished> {
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (s: string) => (stdout += s));
  child.stderr?.setEncoding("utf8").on("data", (s: string) => (stderr += s));
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Kills `child` when the test ends, whatever its outcome. */
export function killAfter(t: TestContext, child: ChildProcess): void {
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });
}

export interface Serving {
  child: ChildProcess;
  /** The bound addresses, from the "listening on URL" lines. */
  addresses: string[];
  /** Everything printed on stdout up to the last "listening on" line, and after. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit status and full output once the process ends. */
  exited: Promise<Finished>;
}

/**
 * Starts `farcall serve ...args` and resolves once it printed every address it listens on
 * (`expected`: by default one per --listen, or one when none is given). Rejects if it exits
 * first.
 */
export function startServe(t: TestContext, args: string[], env?: Record<string, string>, expected = Math.max(1, args.filter((a) => a === "--listen").length)): Promise<Serving> {
  const child = spawn(process.execPath, [MAIN, "serve", ...args], { cwd: REPO, env: childEnv(env), stdio: ["ignore", "pipe", "pipe"] });
  killAfter(t, child);
  const exited = finished(child);
  let out = "";
  let err = "";
  child.stdout!.on("data", (s: string) => (out += s));
  child.stderr!.on("data", (s: string) => (err += s));
  return new Promise((resolve, reject) => {
    const onData = (): void => {
      const addresses = [...out.matchAll(/^listening on (\S+)$/gm)].map((m) => m[1]!);
      if (addresses.length < expected) return;
      child.stdout!.off("data", onData);
      resolve({ child, addresses, stdout: () => out, stderr: () => err, exited });
    };
    child.stdout!.on("data", onData);
    void exited.then((f) => reject(new Error(`farcall serve exited (${f.code ?? f.signal}) before listening:\n${f.stdout}\n${f.stderr}`)));
  });
}
