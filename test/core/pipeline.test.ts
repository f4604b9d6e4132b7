/**
 * The call pipeline (src/core/pipeline.ts): lookup, the in-flight limit, context(),
 * interceptors, the deadline and the call log, for a call from any protocol.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { context } from "../../src/core/context.js";
import { RpcError } from "../../src/core/errors.js";
import { IncomingCall } from "../../src/core/incoming-call.js";
import type { CallSink, Interceptor } from "../../src/core/pipeline.js";
import type { CallLogEntry } from "../../src/core/call-log.js";
import { pipelineFor } from "../helpers/pipeline.js";

const peer = { transport: "http", address: "127.0.0.1", authenticated: true };

function callOf(method: string, params: unknown[] = [], options: { meta?: Record<string, unknown>; deadline?: number; notification?: boolean } = {}): IncomingCall {
  return new IncomingCall("jsonrpc", 0, method, params, peer, options.meta, options.deadline, undefined, options.notification ?? false);
}

/** A sink that records what it was told, with a limit. */
function recordingSink(maxInFlight = Number.POSITIVE_INFINITY): CallSink & { outcomes: { value: unknown; error: unknown; failed: boolean }[] } {
  return {
    inFlight: 0,
    maxInFlight,
    scope: "this test",
    outcomes: [],
    settled(_call, value, error, failed) {
      this.outcomes.push({ value, error, failed });
    },
  };
}

test("a method runs in its context() and resolves with its result", async () => {
  const p = pipelineFor({ ns: { who: (x: number) => ({ x, method: context().method, protocol: context().protocol, meta: context().meta, peer: context().peer.transport }) } });
  assert.deepEqual(await p.invoke(callOf("ns.who", [1], { meta: { a: 1 } })), { x: 1, method: "ns.who", protocol: "jsonrpc", meta: { a: 1 }, peer: "http" });
});

test("a synchronous handler without interceptors is answered in the same turn", () => {
  const p = pipelineFor({ add: (a: number, b: number) => a + b });
  const sink = recordingSink();
  p.dispatch(callOf("add", [2, 3]), sink);
  assert.deepEqual(sink.outcomes, [{ value: 5, error: undefined, failed: false }]);
  assert.equal(sink.inFlight, 0);
});

test("names that are not exposed are METHOD_NOT_FOUND", async () => {
  const p = pipelineFor({ f: () => 1, _hidden: () => 2 });
  for (const method of ["g", "toString", "__proto__", "constructor", "_hidden", "$1"]) {
    await assert.rejects(p.invoke(callOf(method)), (e: unknown) => RpcError.is(e) && e.code === "METHOD_NOT_FOUND");
  }
});

test("aborting a followed signal aborts the handler's context().signal with CANCELLED", async () => {
  let seen: unknown;
  const p = pipelineFor({
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
  const call = callOf("wait");
  call.follow(ac.signal);
  const running = p.invoke(call);
  setImmediate(() => ac.abort());
  await assert.rejects(running, (e: unknown) => RpcError.is(e) && e.code === "CANCELLED");
  assert.equal(seen, "CANCELLED");
});

test("calls beyond the sink's maxInFlight are refused RESOURCE_EXHAUSTED, naming the limit", async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const p = pipelineFor({ slow: () => gate });
  const sink = recordingSink(2);
  p.dispatch(callOf("slow"), sink);
  p.dispatch(callOf("slow"), sink);
  p.dispatch(callOf("slow"), sink);
  assert.equal(sink.outcomes.length, 1);
  const refused = sink.outcomes[0]!.error as RpcError;
  assert.equal(refused.code, "RESOURCE_EXHAUSTED");
  assert.match(refused.message, /2 calls in flight on this test reach maxCallsInFlight 2/);
  release();
  await gate;
  await new Promise((r) => setImmediate(r));
  assert.equal(sink.outcomes.length, 3);
  assert.equal(sink.inFlight, 0);
});

test("interceptors run outermost first, around the handler, inside its context()", async () => {
  const order: string[] = [];
  const mark = (name: string): Interceptor => async (call, next) => {
    order.push(`${name} in ${call.method} ${context().method}`);
    const result = await next();
    order.push(`${name} out`);
    return result;
  };
  const p = pipelineFor({ f: () => (order.push("handler"), 7) }, { use: [mark("a"), mark("b")] });
  assert.equal(await p.invoke(callOf("f")), 7);
  assert.deepEqual(order, ["a in f f", "b in f f", "handler", "b out", "a out"]);
});

test("an interceptor may deny a call with an RpcError, and the handler never runs", async () => {
  let ran = false;
  const deny: Interceptor = (call) => {
    if (call.method === "secret") throw new RpcError("PERMISSION_DENIED", `${call.method} is not for ${call.peer.address}`);
    return undefined;
  };
  const p = pipelineFor({ secret: () => (ran = true) }, { use: [deny] });
  await assert.rejects(p.invoke(callOf("secret")), (e: unknown) => RpcError.is(e) && e.code === "PERMISSION_DENIED");
  assert.equal(ran, false);
});

test("an interceptor may replace the params and the result", async () => {
  const double: Interceptor = async (call, next) => {
    call.params = call.params.map((x) => (x as number) * 2);
    return `result ${String(await next())}`;
  };
  const p = pipelineFor({ add: (a: number, b: number) => a + b }, { use: [double] });
  assert.equal(await p.invoke(callOf("add", [1, 2])), "result 6");
});

test("an interceptor that calls next() twice fails the call with INTERNAL", async () => {
  const twice: Interceptor = async (_call, next) => {
    await next();
    return next();
  };
  const p = pipelineFor({ f: () => 1 }, { use: [twice] });
  await assert.rejects(p.invoke(callOf("f")), (e: unknown) => RpcError.is(e) && e.code === "INTERNAL" && /next\(\) twice/.test(e.message));
});

test("a call whose deadline passed while it ran fails DEADLINE_EXCEEDED whatever it returned", async () => {
  const p = pipelineFor({
    late: async () => {
      context().signal; // arms the deadline
      await new Promise((r) => setTimeout(r, 30));
      return "too late";
    },
  });
  await assert.rejects(p.invoke(callOf("late", [], { deadline: Date.now() + 5 })), (e: unknown) => RpcError.is(e) && e.code === "DEADLINE_EXCEEDED");
});

test("the call log gets one entry per call with its protocol, outcome and notification flag, refusals included", async () => {
  const entries: CallLogEntry[] = [];
  const p = pipelineFor({ ok: () => 1, bad: () => { throw new RpcError("NOPE", "no"); } }, { callLog: (e) => entries.push(e) });
  await p.invoke(callOf("ok"));
  await p.invoke(callOf("bad")).catch(() => {});
  await p.invoke(callOf("missing")).catch(() => {});
  await p.invoke(callOf("ok", [], { notification: true }));
  assert.deepEqual(
    entries.map((e) => [e.method, e.protocol, e.transport, e.outcome, e.notification]),
    [
      ["ok", "jsonrpc", "http", "ok", false],
      ["bad", "jsonrpc", "http", "NOPE", false],
      ["missing", "jsonrpc", "http", "METHOD_NOT_FOUND", false],
      ["ok", "jsonrpc", "http", "ok", true],
    ],
  );
  for (const e of entries) assert.ok(e.durationMs >= 0);
});

test("use must be an array of functions", () => {
  assert.throws(() => pipelineFor({}, { use: ["nope" as unknown as Interceptor] }), TypeError);
});

test("a call's signal read after the call finished arms no deadline timer (nothing would clear it)", async () => {
  let kept: IncomingCall | undefined;
  const p = pipelineFor({ f: () => 1 }, { use: [async (call, next) => ((kept = call as IncomingCall), next())] });
  const call = callOf("f", [], { deadline: Date.now() + 60_000 });
  await p.invoke(call);
  const before = (process as unknown as { getActiveResourcesInfo(): string[] }).getActiveResourcesInfo().filter((r) => r === "Timeout").length;
  assert.equal(kept!.signal.aborted, false);
  const after = (process as unknown as { getActiveResourcesInfo(): string[] }).getActiveResourcesInfo().filter((r) => r === "Timeout").length;
  assert.equal(after, before, "no timer was armed");
});
