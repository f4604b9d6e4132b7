// Logged refusals are rate-limited: a flood of refused connections writes a bounded number
// of lines to the default logger, not one per connection.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { connect as netConnect } from "node:net";
import { it } from "node:test";
import { close, connect } from "../../src/index.js";

/** Lines the default logger writes per 10 s before it only counts (LOG_LIMIT_DEFAULTS). */
const LINES_PER_INTERVAL = 20;
const INTERVAL_MS = 10_000;
const REFUSED = 5000;
/** Connections opened at once, to keep the flood quick without exhausting file descriptors. */
const AT_ONCE = 100;

it(`${REFUSED} refused connections write at most ${LINES_PER_INTERVAL} lines per 10 s to the default logger`, async () => {
  let floodMs = 0;
  const child = spawn(process.execPath, ["--import", "tsx", "test/fixtures/logging/server.ts"], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
        out += chunk;
        const match = out.match(/^LISTENING (\S+)\n/m);
        if (match) resolve(match[1]!);
      });
      child.once("exit", () => reject(new Error(`server exited: ${stderr}`)));
    });
    // This client holds the one connection the server allows: every other is refused.
    const holder = await connect<{ ping(): string }>(url, { logger: false });
    assert.equal(await holder.ping(), "pong");
    const port = Number(new URL(url).port);
    const started = Date.now();
    for (let sent = 0; sent < REFUSED; sent += AT_ONCE) {
      await Promise.all(Array.from({ length: AT_ONCE }, () => refusedConnection(port)));
    }
    floodMs = Date.now() - started;
    assert.equal(await holder.ping(), "pong", "the held connection still works");
    await close(holder);
  } finally {
    child.kill("SIGKILL");
    await exited;
  }
  const refusals = stderr.split("\n").filter((line) => / refused 127\.0\.0\.1: 1 connections reach maxConnections 1$/.test(line));
  assert.ok(refusals.length >= 1, `the first refusals are logged:\n${stderr}`);
  // A flood longer than one interval (a loaded machine) may write one more allowance per interval begun.
  const allowed = LINES_PER_INTERVAL * Math.ceil(Math.max(floodMs, 1) / INTERVAL_MS);
  assert.ok(refusals.length <= allowed, `${refusals.length} refusal lines for ${REFUSED} refused connections in ${floodMs} ms (at most ${allowed})`);
});

/** Opens a connection and resolves once the server has closed it. */
function refusedConnection(port: number): Promise<void> {
  return new Promise((resolve) => {
    const socket = netConnect(port, "127.0.0.1");
    socket.on("error", () => {}); // a reset shows up as "close"
    socket.once("close", () => resolve());
  });
}
