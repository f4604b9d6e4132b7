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
