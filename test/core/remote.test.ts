import assert from "node:assert/strict";
import { test } from "node:test";
import { makeRemote, notify, withOptions, type Caller, type CallOptions } from "../../src/core/remote.js";

function recorder() {
  const calls: { target: string; args: unknown[]; options: CallOptions }[] = [];
  const notes: { target: string; args: unknown[] }[] = [];
  const caller: Caller = {
    call: async (target, args, options) => {
      calls.push({ target, args, options });
      return target;
    },
    notify: (target, args, _options, done) => {
      notes.push({ target, args });
      done?.();
    },
    close: async () => {},
  };
  return { caller, calls, notes };
}

type Api = { add(a: number, b: number): number; kv: { get(k: string): string | null } };

test("a remote call sends the dotted path and the arguments", async () => {
  const { caller, calls } = recorder();
  const remote = makeRemote<Api>(caller);
  assert.equal(await remote.kv.get("a"), "kv.get");
  assert.deepEqual(calls[0].args, ["a"]);
});

test("then is never a remote call, so a remote can be awaited and returned from async functions", async () => {
  const { caller, calls } = recorder();
  const remote = makeRemote<Api>(caller);
  const same = await Promise.resolve(remote);
  assert.equal(same, remote);
  assert.equal((remote as unknown as { then?: unknown }).then, undefined);
  assert.equal(calls.length, 0);
});

test("proxies are memoised per path", () => {
  const remote = makeRemote<Api>(recorder().caller);
  assert.equal(remote.kv, remote.kv);
  assert.equal(remote.kv.get, remote.kv.get);
});

test("withOptions passes timeout, signal and metadata to every call made through it", async () => {
  const { caller, calls } = recorder();
  const signal = new AbortController().signal;
  const remote = withOptions(makeRemote<Api>(caller), { timeout: 50, signal, meta: { trace: "t1" } });
  await remote.add(1, 2);
  assert.deepEqual(calls[0].options, { timeout: 50, signal, meta: { trace: "t1" } });
  assert.throws(() => withOptions(remote, { timeout: -1 }), RangeError);
});

test("notify sends a call without waiting and reports hand-off to its callback", async () => {
  const { caller, notes } = recorder();
  const remote = makeRemote<Api>(caller);
  let reported = false;
  notify(remote.kv.get, ["k"], (err) => {
    assert.equal(err, undefined);
    reported = true;
  });
  assert.deepEqual(notes, [{ target: "kv.get", args: ["k"] }]);
  assert.ok(reported);
  assert.throws(() => notify(remote, []), TypeError);
  assert.throws(() => notify(() => 1, []), TypeError);
});

test("the root of a remote is not callable and cannot be modified", async () => {
  const remote = makeRemote<Api>(recorder().caller) as unknown as Record<string, unknown>;
  await assert.rejects((remote as unknown as () => Promise<unknown>)(), TypeError);
  assert.throws(() => {
    "use strict";
    remote.x = 1;
  }, TypeError);
});

test("a remote prints as Remote<where>.path in String(), template literals and util.inspect, and printing calls nothing", async () => {
  const { inspect } = await import("node:util");
  const { labelCaller } = await import("../../src/core/remote.js");
  const { caller, calls } = recorder();
  labelCaller(caller, "tcp://127.0.0.1:4343");
  const remote = makeRemote<Api>(caller);
  assert.equal(String(remote), "Remote<tcp://127.0.0.1:4343>");
  assert.equal(`${remote.kv.get}`, "Remote<tcp://127.0.0.1:4343>.kv.get");
  assert.equal(remote.kv + "", "Remote<tcp://127.0.0.1:4343>.kv");
  assert.equal(inspect(remote.kv), "Remote<tcp://127.0.0.1:4343>.kv");
  assert.equal(inspect({ r: remote }), "{ r: Remote<tcp://127.0.0.1:4343> }");
  assert.equal(remote.toString(), "Remote<tcp://127.0.0.1:4343>");
  assert.equal(Object.prototype.toString.call(remote), "[object Remote<tcp://127.0.0.1:4343>]");
  assert.deepEqual(calls, []);
});

test("connect() labels its remote with the URL, credentials taken out", async () => {
  const { serve, connect, close } = await import("../../src/index.js");
  const server = await serve({ f: () => 1 }, { listen: "http://127.0.0.1:0", logger: false, authkey: "k" });
  const url = server.addresses[0]!;
  const remote = await connect(url.replace("http://", "http://user:k@"), { authkey: "k" });
  assert.equal(String(remote), `Remote<${url}>`);
  await close(remote);
  await server.close();
});
