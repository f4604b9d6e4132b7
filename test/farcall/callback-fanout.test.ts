/**
 * A handler that calls its caller's callback many times at once: each of those calls follows
 * the handler's signal (so cancelling the handler cancels them), and each stops following it
 * when it settles. That is no leak, and Node must not warn about one.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { close, connect, serve } from "../../src/index.js";

test("a handler firing a callback 200 times at once gets every answer and no MaxListenersExceededWarning", async (t) => {
  const warnings: string[] = [];
  const onWarning = (w: Error): void => void warnings.push(`${w.name}: ${w.message}`);
  process.on("warning", onWarning);
  t.after(() => process.off("warning", onWarning));
  const server = await serve({
    fanOut: async (cb: (i: number) => Promise<number>) => (await Promise.all(Array.from({ length: 200 }, (_, i) => cb(i)))).reduce((a, b) => a + b, 0),
  }, { listen: "tcp://127.0.0.1:0", logger: false });
  t.after(() => server.close());
  const remote = await connect<{ fanOut(cb: (i: number) => number): Promise<number> }>(server.addresses[0]!);
  t.after(() => close(remote));
  assert.equal(await remote.fanOut((i) => i), (199 * 200) / 2);
  // Warnings are emitted on the next tick.
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(warnings.filter((w) => w.startsWith("MaxListenersExceededWarning")), []);
});
