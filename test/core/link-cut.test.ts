/**
 * A link cut without FIN or RST (the path goes dead, both processes live on): keepalive is
 * the only way either end can tell, and each must give up within its keepalive bound
 * (keepaliveIntervalMs + keepaliveTimeoutMs after the last frame it received), failing the
 * calls it holds, as the README's table of faults states.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { close, connect, serve } from "../../src/index.js";
import { later, rejectsWith, until } from "../helpers/bounded.js";
import { CutProxy } from "../helpers/cut-proxy.js";

const INTERVAL_MS = 1000;
const TIMEOUT_MS = 500;
/** Scheduling on a loaded machine: the bound is checked, not the speed. */
const SLACK_MS = 1000;

const api = {
  echo: (x: string) => x,
  /** Never answers: a call held across the cut. */
  hang: () => new Promise<never>(() => {}),
};

test("a link that goes dead without FIN fails the client's pending calls UNAVAILABLE within keepaliveIntervalMs + keepaliveTimeoutMs, and the server drops the session within its own bound", async (t) => {
  const keepalive = { keepaliveIntervalMs: INTERVAL_MS, keepaliveTimeoutMs: TIMEOUT_MS };
  const server = await serve(api, { listen: "tcp://127.0.0.1:0", logger: false, ...keepalive });
  t.after(() => server.close());
  const port = Number(new URL(server.addresses[0]!).port);
  const proxy = await CutProxy.start(port);
  t.after(() => proxy.close());
  const remote = await connect<typeof api>(`tcp://127.0.0.1:${proxy.port}`, { logger: false, reconnect: false, ...keepalive });
  t.after(() => close(remote));

  const pending = [later(remote.hang()), later(remote.hang())];
  assert.equal(await remote.echo("last"), "last");
  assert.equal(server.connections, 1);
  const lastFrameAt = Date.now();
  proxy.stall();

  for (const call of pending) await rejectsWith(call, "UNAVAILABLE", INTERVAL_MS + TIMEOUT_MS + SLACK_MS + 5000, "a call pending across a dead link");
  const clientNoticed = Date.now() - lastFrameAt;
  assert.ok(clientNoticed <= INTERVAL_MS + TIMEOUT_MS + SLACK_MS, `the client noticed the dead link after ${clientNoticed} ms (bound ${INTERVAL_MS} + ${TIMEOUT_MS})`);

  // The server's side of the same session: nothing reached it either, and its keepalive
  // gives the session up (its handlers' signals abort; nothing waits for the client).
  await until(INTERVAL_MS + TIMEOUT_MS + SLACK_MS + 5000, "the server dropping the dead session", () => server.connections === 0);
  const serverNoticed = Date.now() - lastFrameAt;
  assert.ok(serverNoticed <= INTERVAL_MS + TIMEOUT_MS + SLACK_MS, `the server dropped the dead session after ${serverNoticed} ms (bound ${INTERVAL_MS} + ${TIMEOUT_MS})`);
});
