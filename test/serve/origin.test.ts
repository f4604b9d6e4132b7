// The examples that started the project, in separate OS processes, as a user runs them.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { close, connect, withOptions } from "../../src/index.js";
import type { Api } from "../fixtures/origin/server.js";

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/origin/${name}`, import.meta.url));

/** Starts the origin server in its own process and returns its address. */
async function startServer(t: { after(fn: () => void): void }): Promise<string> {
  const child = spawn(process.execPath, ["--import", "tsx", fixture("server.ts")], { stdio: ["ignore", "pipe", "inherit"] });
  t.after(() => child.kill("SIGKILL"));
  const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
  const [chunk] = (await once(child.stdout!, "data")) as [Buffer];
  clearTimeout(timer);
  return chunk.toString().trim().split("\n")[0];
}

/** Runs one origin client process to completion and returns what it printed. */
async function runClient(url: string, ...args: string[]): Promise<unknown> {
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", fixture("client.ts"), url, ...args], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d));
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const [code] = (await once(child, "exit")) as [number];
  clearTimeout(timer);
  assert.equal(code, 0, `client ${args.join(" ")} exited with ${code}`);
  return JSON.parse(out.trim());
}

test("one client process puts a=10 and another reads 10; a missing key reads null", async (t) => {
  const url = await startServer(t);
  assert.equal(await runClient(url, "get", "a"), null);
  await runClient(url, "put", "a", "10");
  assert.equal(await runClient(url, "get", "a"), 10);
  assert.equal(await runClient(url, "get", "missing"), null);
});

test("5 client processes x 1000 sequential get+inc leave the counter at exactly 5000", async (t) => {
  const url = await startServer(t);
  await Promise.all(Array.from({ length: 5 }, () => runClient(url, "count", "1000", "sequential")));
  const remote = await connect<Api>(url, { authkey: "password" });
  t.after(() => close(remote));
  assert.equal(await remote.counter.get("views"), 5000);
});

test("5 client processes with all 5000 increments in flight at once leave the counter at exactly 5000", async (t) => {
  const url = await startServer(t);
  await Promise.all(Array.from({ length: 5 }, () => runClient(url, "count", "1000", "concurrent")));
  const remote = await connect<Api>(url, { authkey: "password" });
  t.after(() => close(remote));
  assert.equal(await remote.counter.get("views"), 5000);
});

test("10,000 concurrent sleep(200) calls from 100 connections run side by side, many per connection, and all complete", async (t) => {
  const url = await startServer(t);
  const remotes = await Promise.all(Array.from({ length: 100 }, () => connect<Api>(url, { authkey: "password" })));
  t.after(() => Promise.all(remotes.map((r) => close(r))));
  const results = await Promise.all(
    remotes.flatMap((r) => Array.from({ length: 100 }, () => withOptions(r, { timeout: 60_000 }).sleep(200))),
  );
  assert.equal(results.length, 10_000);
  assert.ok(results.every((r) => r === "slept"));
  // Counted by the server: a server that ran calls one after another (or one per connection
  // at a time) would never have more than 1 (or 100) asleep at once. All 10,000 at once is
  // the idle-machine figure; a loaded machine may finish early sleepers before the last send.
  const peak = await remotes[0].peakSleeping();
  assert.ok(peak > 1_000, `at most ${peak} calls were asleep at once`);
});
