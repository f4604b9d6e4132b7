import assert from "node:assert/strict";
import { test } from "node:test";
import { context } from "../../src/core/context.js";
import { Dispatcher } from "../../src/core/dispatcher.js";
import { RpcError } from "../../src/core/errors.js";
import { invokeMethod } from "../../src/core/invoke.js";

const peer = { transport: "http", address: "127.0.0.1", authenticated: true };

test("invokeMethod runs the method in its context and resolves with its result", async () => {
  const d = new Dispatcher({ ns: { who: (x: number) => ({ x, method: context().method, meta: context().meta, peer: context().peer.transport }) } });
  assert.deepEqual(await invokeMethod(d, { method: "ns.who", args: [1], peer, meta: { a: 1 } }), { x: 1, method: "ns.who", meta: { a: 1 }, peer: "http" });
});

test("invokeMethod rejects METHOD_NOT_FOUND for names that are not exposed", async () => {
  const d = new Dispatcher({ f: () => 1 });
  for (const method of ["g", "toString", "__proto__", "constructor"]) {
    await assert.rejects(invokeMethod(d, { method, args: [], peer }), (e: unknown) => RpcError.is(e) && e.code === "METHOD_NOT_FOUND");
  }
});

test("aborting the request's signal aborts the handler's context().signal", async () => {
  let seen: unknown;
  const d = new Dispatcher({
    wait: () =>
      new Promise((_, reject) => {
        const { signal } = context();
        signal.addEventListener("abort", () => {
          seen = (signal.reason as RpcError).code;
          reject(signal.reason);
        });
      }),
  });
  const ac = new AbortController();
  const running = invokeMethod(d, { method: "wait", args: [], peer, signal: ac.signal });
  setImmediate(() => ac.abort());
  await assert.rejects(running, (e: unknown) => RpcError.is(e) && e.code === "CANCELLED");
  assert.equal(seen, "CANCELLED");
});
