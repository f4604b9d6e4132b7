// Session resumption: a client whose connection drops gets its session back within the
// server's resumeWindowMs; streams, callbacks and calls in flight go on with nothing lost or
// repeated. Connections are cut by a proxy that resets both sides, never by a clean close.
import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import { close, connect, serve, type ServeOptions } from "../../src/index.js";
import { rejectsWith, within } from "../helpers/bounded.js";
import { CutProxy } from "../helpers/cut-proxy.js";

function makeApi() {
  return {
    async *count(n: number) {
      for (let i = 0; i < n; i++) yield i;
    },
    /** Calls `cb` with 0..n-1, 50 at a time without waiting between them; resolves once every call was answered. */
    async fire(cb: (i: number) => Promise<void>, n: number) {
      for (let i = 0; i < n; i += 50) {
        const calls: Promise<void>[] = [];
        for (let j = i; j < Math.min(n, i + 50); j++) calls.push(cb(j));
        await Promise.all(calls);
      }
      return n;
    },
    async slow(ms: number, value: string) {
      await new Promise((resolve) => setTimeout(resolve, ms));
      return value;
    },
    ping: () => "pong",
  };
}
type Api = ReturnType<typeof makeApi>;

const QUIET = { logger: false as const };

/** A server keeping sessions, a proxy in front of it, and a resuming client through the proxy. */
async function setup(t: TestContext, scheme: "tcp" | "ws", serverOptions: ServeOptions = {}, clientOptions: Record<string, unknown> = {}) {
  const server = await serve(makeApi(), { listen: "tcp://127.0.0.1:0", resumeWindowMs: 10_000, ...QUIET, ...serverOptions });
  t.after(() => server.close({ drainMs: 0 }));
  const port = Number(new URL(server.addresses[0]!).port);
  const proxy = await CutProxy.start(port);
  t.after(() => proxy.close());
  const url = `${scheme}://127.0.0.1:${proxy.port}/`;
  const remote = await connect<Api>(scheme === "tcp" ? url.slice(0, -1) : url, { resume: true, reconnect: { initialDelayMs: 10, maxDelayMs: 50 }, ...QUIET, ...clientOptions });
  t.after(() => close(remote));
  return { server, proxy, remote };
}

for (const scheme of ["tcp", "ws"] as const) {
  describe(`resumption over ${scheme}://`, () => {
    it("a stream read across cuts yields every item exactly once, in order", async (t) => {
      const { proxy, remote } = await setup(t, scheme);
      const n = 3000;
      const seen: number[] = [];
      for await (const item of await remote.count(n)) {
        seen.push(item);
        if (item % 500 === 250) proxy.cut();
      }
      assert.deepEqual(seen, Array.from({ length: n }, (_, i) => i));
      assert.ok(proxy.accepted >= 7, `the client reconnected after each of the 6 cuts (${proxy.accepted} connections)`);
    });

    it("a callback fired 1,000 times during cuts is seen 1,000 times, in order", async (t) => {
      const { proxy, remote } = await setup(t, scheme);
      const seen: number[] = [];
      const fired = remote.fire(async (i: number) => {
        seen.push(i);
        if (i % 200 === 100) proxy.cut();
      }, 1000);
      assert.equal(await within(fired, 20_000, "fire()"), 1000);
      assert.deepEqual(seen, Array.from({ length: 1000 }, (_, i) => i));
      assert.ok(proxy.accepted >= 6, `the client reconnected after each of the 5 cuts (${proxy.accepted} connections)`);
    });

    it("calls in flight during a cut resolve after the resumption", async (t) => {
      const { proxy, remote } = await setup(t, scheme);
      const calls = [remote.slow(300, "a"), remote.slow(400, "b"), remote.slow(0, "c")];
      await new Promise((resolve) => setTimeout(resolve, 100));
      proxy.cut();
      assert.deepEqual(await within(Promise.all(calls), 10_000, "calls in flight"), ["a", "b", "c"]);
      assert.equal(await remote.ping(), "pong");
    });

    it("past resumeWindowMs the session ends: a call in flight rejects with UNAVAILABLE, and the next call gets a fresh session", async (t) => {
      const { proxy, remote } = await setup(t, scheme, { resumeWindowMs: 300 });
      const inFlight = remote.slow(5000, "never");
      await new Promise((resolve) => setTimeout(resolve, 50));
      proxy.refuse(true);
      proxy.cut();
      const error = await rejectsWith(inFlight, "UNAVAILABLE", 5000, "a call in flight when the window passed");
      assert.match(error.message, /resume/);
      proxy.refuse(false);
      assert.equal(await within(remote.ping(), 5000, "a call after the window"), "pong");
    });
  });
}
