import assert from "node:assert/strict";
import { setTimeout as delay } from "node:timers/promises";
import { describe, it } from "node:test";
import { context, currentCall, runInContext, type CallContext } from "../../src/core/context.js";
import { RpcError } from "../../src/core/errors.js";
import { runtime, SyncContextStore, unrefTimer } from "../../src/core/runtime.js";

/** A context that stands for call `method`; nothing but the method is read. */
function callNamed(method: string): CallContext {
  return { method } as CallContext;
}

describe("the default call store (no runtime installed)", () => {
  it("is the synchronous store", () => {
    assert.ok(runtime.callStore instanceof SyncContextStore);
  });

  it("gives a handler its context in its synchronous part, and none after an await", async () => {
    const seen: Array<string | undefined> = [];
    const handler = async (): Promise<void> => {
      seen.push(context().method);
      await delay(1);
      seen.push(currentCall()?.method);
      assert.throws(() => context(), (e: unknown) => RpcError.is(e) && e.code === "INTERNAL");
    };
    await runInContext(callNamed("a.b"), handler, undefined, []);
    assert.deepEqual(seen, ["a.b", undefined]);
  });

  it("restores the outer value after a nested run, and after a throw", () => {
    const store = new SyncContextStore<string>();
    const outer = store.run("outer", () => {
      assert.equal(store.run("inner", () => store.getStore()), "inner");
      assert.throws(() => store.run("failing", () => {
        throw new Error("boom");
      }));
      return store.getStore();
    });
    assert.equal(outer, "outer");
    assert.equal(store.getStore(), undefined);
  });

  it("passes run's extra arguments to the function", () => {
    const store = new SyncContextStore<number>();
    assert.equal(store.run(1, (a: number, b: string) => `${store.getStore()}${a}${b}`, 2, "x"), "12x");
  });
});

describe("the Node runtime (runtime-node.ts)", () => {
  it("carries a handler's context through its awaits, each call its own", async () => {
    await import("../../src/runtime-node.js");
    assert.ok(!(runtime.callStore instanceof SyncContextStore), "AsyncLocalStorage is installed");
    const handler = async (ms: number): Promise<string[]> => {
      const before = context().method;
      await delay(ms);
      return [before, context().method];
    };
    const answers = await Promise.all([
      runInContext(callNamed("first"), handler as (...args: unknown[]) => Promise<string[]>, undefined, [5]),
      runInContext(callNamed("second"), handler as (...args: unknown[]) => Promise<string[]>, undefined, [1]),
    ]);
    assert.deepEqual(answers, [["first", "first"], ["second", "second"]]);
    assert.equal(currentCall(), undefined, "outside a handler");
  });
});

describe("unrefTimer", () => {
  it("unrefs a Node timer and ignores a timer without unref (a browser's number)", () => {
    const timer = setTimeout(() => {}, 60_000);
    unrefTimer(timer);
    assert.equal(timer.hasRef(), false);
    clearTimeout(timer);
    assert.doesNotThrow(() => unrefTimer(42));
  });
});
