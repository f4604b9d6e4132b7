// What the reconnecting farcall/1 client says about reconnecting: nothing on stderr by
// default; a "reconnected to URL" line at debug level, for a logger that has one.
import assert from "node:assert/strict";
import { test } from "node:test";
import { close, connect, serve, type Logger } from "../../src/index.js";
import { within } from "../helpers/bounded.js";

const api = { ping: () => "pong" };
const WAIT_MS = 10_000;

function recorder(withDebug: boolean): Logger & { lines: string[] } {
  const lines: string[] = [];
  const log: Logger & { lines: string[] } = { lines, info: (m) => lines.push(`info ${m}`), warn: (m) => lines.push(`warn ${m}`), error: (m) => lines.push(`error ${m}`) };
  if (withDebug) log.debug = (m) => lines.push(`debug ${m}`);
  return log;
}

test("a reconnection is logged at debug level only: a logger without debug, like the default, hears nothing", async (t) => {
  const first = await serve(api, { listen: "tcp://127.0.0.1:0", logger: false });
  const url = first.addresses[0]!;
  const quiet = recorder(false);
  const verbose = recorder(true);
  // waitForReady (the default): a call made while disconnected waits for the reconnection.
  const options = { reconnect: { initialDelayMs: 20, maxDelayMs: 50 } } as const;
  const a = await connect<typeof api>(url, { ...options, logger: quiet });
  const b = await connect<typeof api>(url, { ...options, logger: verbose });
  t.after(() => Promise.all([close(a), close(b)]));
  await first.close({ drainMs: 0 });
  const second = await serve(api, { listen: url, logger: false });
  t.after(() => second.close({ drainMs: 0 }));
  assert.equal(await within(a.ping(), WAIT_MS, "ping after the restart"), "pong");
  assert.equal(await within(b.ping(), WAIT_MS, "ping after the restart"), "pong");
  assert.ok(verbose.lines.includes(`debug reconnected to ${url}`), verbose.lines.join("\n"));
  assert.ok(!quiet.lines.some((line) => line.includes("reconnected")), quiet.lines.join("\n"));
});
