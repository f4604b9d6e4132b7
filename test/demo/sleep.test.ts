import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runInContext, type CallContext } from "../../src/core/context.js";
import { RpcError } from "../../src/core/errors.js";
import { MAX_SLEEP_MS } from "../../src/demo/limits.js";
import { sleep } from "../../src/demo/sleep.js";

/** Runs sleep(ms) as a handler would, with `signal` as its call's signal. */
function sleepInCall(ms: unknown, signal: AbortSignal): Promise<void> {
  const ctx: CallContext = {
    method: "sleep",
    protocol: "farcall/1",
    peer: { transport: "test", address: "in-process", authenticated: false },
    signal,
    deadline: undefined,
    meta: {},
    remote: () => {
      throw new RpcError("UNAVAILABLE", "no way back in this test");
    },
  };
  return runInContext(ctx, sleep as (...args: unknown[]) => Promise<void>, undefined, [ms]);
}

function isCode(code: string) {
  return (err: unknown) => RpcError.is(err) && err.code === code;
}

describe("sleep", () => {
  it("resolves after the given number of milliseconds", async () => {
    const started = performance.now();
    await sleepInCall(30, new AbortController().signal);
    assert.ok(performance.now() - started >= 25);
  });

  it("rejects with CANCELLED as soon as the call's signal aborts", async () => {
    const controller = new AbortController();
    const started = performance.now();
    const slept = sleepInCall(60_000, controller.signal);
    setTimeout(() => controller.abort(new RpcError("CANCELLED", "the caller cancelled")), 10);
    await assert.rejects(slept, isCode("CANCELLED"));
    assert.ok(performance.now() - started < 5_000, "the timer did not keep the call alive");
  });

  it("rejects with CANCELLED at once when the signal has already aborted", async () => {
    await assert.rejects(sleepInCall(60_000, AbortSignal.abort()), isCode("CANCELLED"));
  });

  for (const ms of [-1, MAX_SLEEP_MS + 1, Number.NaN, Number.POSITIVE_INFINITY, "10", null]) {
    it(`ms of ${String(ms)} (${typeof ms}) is INVALID_PARAMS`, async () => {
      await assert.rejects(sleepInCall(ms, new AbortController().signal), isCode("INVALID_PARAMS"));
    });
  }
});
