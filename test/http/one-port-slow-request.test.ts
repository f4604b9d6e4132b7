/**
 * On a one-port tcp:// listener, HTTP is bounded by requestTimeoutMs and answered 408, as on
 * an http:// listener, even where the handshake deadline is the shorter one (the defaults:
 * 10 s and 60 s): a request line hands the connection to HTTP's own deadline.
 */
import assert from "node:assert/strict";
import { connect as tcpConnect } from "node:net";
import { test } from "node:test";
import { serve } from "../../src/index.js";
import { within } from "../helpers/bounded.js";

const HANDSHAKE_MS = 300;
const REQUEST_MS = 1500;
/** Timers on a busy shared machine fire late; never early. */
const SLACK_MS = 3000;

/** Writes `bytes` and waits for the close: what came back and after how long. */
async function heldOpen(port: number, bytes: string): Promise<{ ms: number; text: string }> {
  const socket = tcpConnect(port, "127.0.0.1");
  const started = Date.now();
  let text = "";
  socket.on("data", (d: Buffer) => (text += d.toString("latin1")));
  socket.on("error", () => {}); // a reset after the 408 is the close we wait for
  socket.write(bytes);
  await within(new Promise((resolve) => socket.on("close", resolve)), REQUEST_MS + SLACK_MS + 2000, "the server closing the connection");
  return { ms: Date.now() - started, text };
}

test("an HTTP request whose headers stop arriving gets 408 after requestTimeoutMs, not a bare close at handshakeTimeoutMs", async (t) => {
  const server = await serve({ add: (a: number, b: number) => a + b }, { listen: "tcp://127.0.0.1:0", handshakeTimeoutMs: HANDSHAKE_MS, requestTimeoutMs: REQUEST_MS, logger: false });
  t.after(() => server.close());
  const port = Number(new URL(server.addresses[0]!).port);
  const { ms, text } = await heldOpen(port, "POST / HTTP/1.1\r\nHost: localhost\r\n");
  assert.match(text, /^HTTP\/1\.1 408 /);
  assert.ok(ms >= REQUEST_MS - 100, `closed after ${ms} ms, before requestTimeoutMs ${REQUEST_MS}`);
  assert.ok(ms <= REQUEST_MS + SLACK_MS, `closed after ${ms} ms`);
});

test("bytes that are not yet a request line are still bounded by handshakeTimeoutMs", async (t) => {
  const server = await serve({ add: (a: number, b: number) => a + b }, { listen: "tcp://127.0.0.1:0", handshakeTimeoutMs: HANDSHAKE_MS, requestTimeoutMs: REQUEST_MS, logger: false });
  t.after(() => server.close());
  const { ms, text } = await heldOpen(Number(new URL(server.addresses[0]!).port), "POS");
  assert.equal(text, "");
  assert.ok(ms < REQUEST_MS, `closed after ${ms} ms: the handshake deadline is ${HANDSHAKE_MS} ms`);
});
