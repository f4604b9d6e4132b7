/**
 * One conformance suite for every protocol x transport, in the manner of hono's
 * `src/router/common.case.test.ts`: each `test/conformance/<driver>.test.ts` hands
 * {@link runConformance} a {@link Driver} that can start a server for an API and connect a
 * client to it, and declares what its protocol can carry. A case a protocol cannot carry is
 * not registered for it (each driver file says why at its top); nothing is skipped silently.
 *
 * Every case starts its own server (so it may choose serve options) and closes it, and its
 * client, in after hooks. Waits are bounded: a broken implementation fails with a message,
 * it never hangs the run.
 */
import assert from "node:assert/strict";
import { after, before, describe, it, type TestContext } from "node:test";
import { batch, batchSettled, close, RpcError, withOptions, type ClientCall, type ClientInterceptor, type ConnectOptions, type ErrorCode, type Interceptor as ServerInterceptor, type Remote, type ServeOptions, type ServerCall } from "../../src/index.js";
import { later, rejection, rejectsWith, until, within } from "../helpers/bounded.js";
import { type Api, CallLogBook, callRaw, codeOf, makeApi, notified, notifyRaw, Probe, SLOW_CAP_MS, WAIT_MS } from "./api.js";
import type { Driver } from "./driver.js";

/** Longest any one case may run. */
const CASE_TIMEOUT_MS = 10_000;
/** The deadline of the deadline cases: short, but long enough for a busy machine to send the call. */
const DEADLINE_MS = 150;

/** serve()'s and connect()'s options, with their interceptors (kept as names the drivers use). */
export type ServeOptionsWithUse = ServeOptions;
export type ConnectOptionsWithUse = ConnectOptions;

// ---- the suite -----------------------------------------------------------------------------

/** Registers the conformance cases `driver` can carry. */
export function runConformance(driver: Driver): void {
  const caps = driver.caps;
  const clientCode = (code: ErrorCode): string => driver.clientCode?.(code) ?? code;

  /** A server with the suite's API and a client of it, both closed after the case. */
  async function fixture(t: TestContext, options: ServeOptionsWithUse = {}, connectOptions?: ConnectOptionsWithUse) {
    const probe = new Probe();
    const log = new CallLogBook();
    const endpoint = await driver.start(makeApi(probe), { logger: false, callLog: log.add, ...options });
    let remote: Remote<Api> | undefined;
    t.after(async () => {
      probe.open();
      if (remote) await close(remote);
      await endpoint.close();
    });
    remote = await endpoint.connect<Api>(connectOptions);
    return { probe, log, remote, endpoint };
  }

  const skip = driver.unavailable;
  if (skip) console.warn(`\n*** SKIPPING THE ${driver.name.toUpperCase()} CONFORMANCE SUITE: ${skip} ***\n`);

  describe(`conformance: ${driver.name}`, { skip }, () => {
    if (driver.setup) before(() => driver.setup!());
    if (driver.teardown) after(() => driver.teardown!());
    const opts = { timeout: CASE_TIMEOUT_MS };

    // ---- calls ----

    it("a call returns the handler's result, for top-level and namespaced methods", opts, async (t) => {
      const { remote } = await fixture(t);
      assert.equal(await within(remote.add(2, 3), WAIT_MS, "add"), 5);
      assert.equal(await within(remote.kv.get("a"), WAIT_MS, "kv.get"), "value of a");
    });

    it("positional params arrive as the handler's arguments, in order", opts, async (t) => {
      const { remote } = await fixture(t);
      assert.deepEqual(await within(remote.args(1, "two", [3], { four: 4 }), WAIT_MS, "args"), [1, "two", [3], { four: 4 }]);
    });

    if (caps.namedParams) {
      it("named params arrive as one object argument", opts, async (t) => {
        const { endpoint } = await fixture(t);
        const response = await within(endpoint.sendJson!({ jsonrpc: "2.0", id: 1, method: "args", params: { a: 1, b: "x" } }), WAIT_MS, "named params");
        assert.deepEqual(response, { jsonrpc: "2.0", id: 1, result: [{ a: 1, b: "x" }] });
      });
    }

    // ---- errors ----

    if (caps.errors === "exact") {
      it("an RpcError thrown by a handler reaches the caller with its code, message and data", opts, async (t) => {
        const { remote } = await fixture(t);
        const err = await rejectsWith(remote.fail(), "TEAPOT", WAIT_MS, "fail");
        assert.equal(err.message, "short and stout");
        assert.deepEqual(err.data, { spout: 1 });
      });

      it("a numeric application code is kept", opts, async (t) => {
        const { remote } = await fixture(t);
        const err = await rejection(remote.failNumeric(), WAIT_MS, "failNumeric");
        assert.equal(err.code, 7);
        assert.equal(err.message, "no name");
      });

      it("any other exception arrives as INTERNAL with its message", opts, async (t) => {
        const { remote } = await fixture(t);
        const err = await rejectsWith(remote.broken(), "INTERNAL", WAIT_MS, "broken");
        assert.equal(err.message, "disk on fire");
      });
    } else {
      it("an RpcError with no Python equivalent arrives with its code and message (a traceback's last line), without data", opts, async (t) => {
        const { remote } = await fixture(t);
        const err = await rejectsWith(remote.fail(), "TEAPOT", WAIT_MS, "fail");
        assert.equal(err.message, "short and stout");
        assert.match(String((err.data as { traceback?: unknown }).traceback), /\nTEAPOT: short and stout\n$/);
      });

      it("an RpcError whose code names a Python exception arrives as that exception", opts, async (t) => {
        const { remote } = await fixture(t);
        const err = await rejectsWith(remote.failNotFound(), "KeyError", WAIT_MS, "failNotFound");
        assert.equal(err.message, "no such key");
      });

      it("any other exception arrives as INTERNAL with its message (a traceback's last line)", opts, async (t) => {
        const { remote } = await fixture(t);
        const err = await rejectsWith(remote.broken(), "INTERNAL", WAIT_MS, "broken");
        assert.equal(err.message, "disk on fire");
      });
    }

    // ---- what a method accepts ----

    it("more arguments than a method declares are INVALID_PARAMS, and the handler never runs", opts, async (t) => {
      const { remote, probe } = await fixture(t);
      const err = await rejectsWith(callRaw(remote, "record", [1, 2]), clientCode("INVALID_PARAMS"), WAIT_MS, "record(1, 2)");
      assert.match(err.message, /record takes 1 argument, 2 given/);
      assert.deepEqual(probe.recorded, []);
    });

    it("a missing required argument is INVALID_PARAMS", opts, async (t) => {
      const { remote } = await fixture(t);
      const err = await rejectsWith(callRaw(remote, "add", [1]), clientCode("INVALID_PARAMS"), WAIT_MS, "add(1)");
      assert.match(err.message, /add is missing 1 required argument/);
    });

    it("arguments a method's schemas reject are INVALID_PARAMS naming each argument and issue; valid ones run", opts, async (t) => {
      const { remote } = await fixture(t);
      assert.equal(await within(remote.scale(2, 3), WAIT_MS, "scale(2, 3)"), 6);
      const err = await rejectsWith(callRaw(remote, "scale", ["2", 1.5]), clientCode("INVALID_PARAMS"), WAIT_MS, "scale('2', 1.5)");
      assert.match(err.message, /^invalid arguments for scale: \[0\]: .*expected number.*; \[1\]: .*expected int/);
      if (caps.errors === "exact") assert.deepEqual((err.data as { issues: { path: unknown[] }[] }).issues.map((i) => i.path), [[0], [1]]);
    });

    if (caps.namedParams) {
      it("named params are checked by a method's one schema, the issues in the error's data", opts, async (t) => {
        const { endpoint } = await fixture(t);
        assert.deepEqual(await within(endpoint.sendJson!({ jsonrpc: "2.0", id: 1, method: "greet", params: { name: "ann" } }), WAIT_MS, "greet"), { jsonrpc: "2.0", id: 1, result: "hello ann" });
        const response = (await within(endpoint.sendJson!({ jsonrpc: "2.0", id: 2, method: "greet", params: { name: 7 } }), WAIT_MS, "greet")) as { error: { code: number; message: string; data: { issues: unknown[] } } };
        assert.equal(response.error.code, -32602);
        assert.match(response.error.message, /^invalid arguments for greet: name: /);
        assert.deepEqual(response.error.data.issues, [{ path: ["name"], message: "Invalid input: expected string, received number" }]);
      });
    }

    it("a framework code thrown by a handler reaches the caller as the protocol maps it", opts, async (t) => {
      const { remote } = await fixture(t);
      await rejectsWith(remote.deny(), clientCode("PERMISSION_DENIED"), WAIT_MS, "deny");
    });

    it("a method that is not exposed is METHOD_NOT_FOUND", opts, async (t) => {
      const { remote } = await fixture(t);
      await rejectsWith(callRaw(remote, "nope", []), clientCode("METHOD_NOT_FOUND"), WAIT_MS, "nope");
    });

    it("constructor, _secret, toString and __proto__ are never methods", opts, async (t) => {
      const { remote, probe } = await fixture(t);
      for (const name of ["constructor", "_secret", "toString", "__proto__"]) {
        await rejectsWith(callRaw(remote, name, []), clientCode("METHOD_NOT_FOUND"), WAIT_MS, name);
      }
      assert.equal(probe.secretRan, false);
    });

    // ---- deadlines and cancellation ----

    it("a call past its deadline rejects DEADLINE_EXCEEDED", opts, async (t) => {
      const { remote, probe } = await fixture(t);
      const started = Date.now();
      await rejectsWith(withOptions(remote, { timeout: DEADLINE_MS }).slow(), "DEADLINE_EXCEEDED", WAIT_MS, "slow");
      assert.ok(Date.now() - started < SLOW_CAP_MS, "rejected at the deadline, not when the handler gave up");
      if (caps.deadlineReachesHandler) {
        await until(WAIT_MS, "the handler's signal aborted", () => probe.abortReason !== undefined);
        // The server's own deadline, or the caller hanging up at its deadline (HTTP).
        assert.ok(["DEADLINE_EXCEEDED", "CANCELLED"].includes(codeOf(probe.abortReason)), `handler stopped with ${codeOf(probe.abortReason)}`);
      }
    });

    it(`aborting a call's signal rejects it CANCELLED${caps.cancellation === "carried" ? " and aborts the handler's signal" : ""}`, opts, async (t) => {
      const { remote, probe } = await fixture(t);
      const ac = new AbortController();
      const call = later(withOptions(remote, { signal: ac.signal }).slow());
      await probe.running(1);
      ac.abort();
      await rejectsWith(call, "CANCELLED", WAIT_MS, "slow");
      if (caps.cancellation === "carried") {
        await until(WAIT_MS, "the handler's signal aborted", () => probe.abortReason !== undefined);
        assert.equal(codeOf(probe.abortReason), "CANCELLED");
      }
    });

    // ---- notifications ----

    if (caps.notifications === "native") {
      it("a notification runs the handler and nothing is answered", opts, async (t) => {
        const { remote, probe } = await fixture(t);
        assert.equal(await notified(remote.record, ["hello"]), undefined);
        await until(WAIT_MS, "the handler ran", () => probe.recorded.length > 0);
        assert.deepEqual(probe.recorded, ["hello"]);
      });

      it("a notification of an unknown method gets no error back", opts, async (t) => {
        const { remote } = await fixture(t);
        assert.equal(await within(notifyRaw(remote, "nope", [1]), WAIT_MS, "notify nope"), undefined);
        assert.equal(await within(remote.add(1, 1), WAIT_MS, "add after"), 2);
      });
    } else {
      it("notify() still runs the handler, as a call whose answer is dropped", opts, async (t) => {
        const { remote, probe } = await fixture(t);
        assert.equal(await notified(remote.record, ["hello"]), undefined);
        await until(WAIT_MS, "the handler ran", () => probe.recorded.length > 0);
        assert.deepEqual(probe.recorded, ["hello"]);
      });
    }

    // ---- batches ----

    it("batch() resolves to every call's result, in order", opts, async (t) => {
      const { remote } = await fixture(t);
      const results = await within(batch(remote, (r) => [r.add(1, 2), r.echo("x"), r.kv.get("k")]), WAIT_MS, "batch");
      assert.deepEqual(results, [3, "x", "value of k"]);
    });

    it("batchSettled() gives each element's outcome, a failure keeping its code", opts, async (t) => {
      const { remote } = await fixture(t);
      const [ok, failed] = await within(batchSettled(remote, (r) => [r.add(1, 1), r.fail()]), WAIT_MS, "batchSettled");
      assert.deepEqual(ok, { status: "fulfilled", value: 2 });
      assert.equal(failed.status, "rejected");
      assert.equal(codeOf((failed as PromiseRejectedResult).reason), "TEAPOT");
    });

    // ---- limits ----

    if (caps.inFlightLimit) {
      it("calls past maxCallsInFlight are answered RESOURCE_EXHAUSTED, and later calls run", opts, async (t) => {
        const { remote, probe } = await fixture(t, { maxCallsInFlight: 1 });
        const held = remote.hold();
        await probe.running(1);
        const err = await rejectsWith(remote.add(1, 1), "RESOURCE_EXHAUSTED", WAIT_MS, "second call");
        assert.match(err.message, /maxCallsInFlight/);
        probe.open();
        assert.equal(await within(held, WAIT_MS, "held call"), "released");
        assert.equal(await within(remote.add(2, 2), WAIT_MS, "add after"), 4);
      });
    }

    // ---- call log ----

    it("each call is logged with its method, protocol, transport, caller and outcome", opts, async (t) => {
      const { remote, log } = await fixture(t);
      await within(remote.add(1, 2), WAIT_MS, "add");
      await rejection(remote.fail(), WAIT_MS, "fail");
      const ok = await log.entry("add");
      assert.deepEqual(
        { method: ok.method, protocol: ok.protocol, transport: ok.transport, outcome: ok.outcome, notification: ok.notification },
        { method: "add", protocol: driver.protocol, transport: driver.transport, outcome: "ok", notification: false },
      );
      assert.ok(typeof ok.address === "string" && ok.address.length > 0, `address ${ok.address}`);
      assert.ok(ok.durationMs >= 0);
      assert.equal((await log.entry("fail")).outcome, "TEAPOT");
    });

    it("a call to a method that is not exposed is logged", opts, async (t) => {
      const { remote, log } = await fixture(t);
      await rejection(callRaw(remote, "nope", []), WAIT_MS, "nope");
      const entry = await log.entry("nope");
      // The manager protocol has no METHOD_NOT_FOUND: Python's server raises KeyError for an unknown typeid.
      const expected = driver.protocol === "pymanager" ? ["METHOD_NOT_FOUND", "KeyError"] : ["METHOD_NOT_FOUND"];
      assert.ok(expected.includes(String(entry.outcome)), `outcome ${String(entry.outcome)}`);
    });

    if (caps.notifications === "native") {
      it("a notification is logged as one", opts, async (t) => {
        const { remote, log } = await fixture(t);
        await notified(remote.record, ["x"]);
        const entry = await log.entry("record", true);
        assert.equal(entry.outcome, "ok");
        assert.equal(entry.protocol, driver.protocol);
      });
    }

    // ---- interceptors (the contract of the interceptor branch) ----

    if (caps.serverInterceptors) {
      it("server interceptors run in order, the first outermost, around the handler", opts, async (t) => {
        // The interceptors write into the trace the handler writes into, once the server exists.
        const into: { trace: string[] } = { trace: [] };
        const seen: ServerCall[] = [];
        const around = (name: string): ServerInterceptor => async (call, next) => {
          into.trace.push(`${name} in`);
          seen.push(call);
          const result = await next();
          into.trace.push(`${name} out`);
          return result;
        };
        const { remote, probe } = await fixture(t, { use: [around("a"), around("b")] });
        into.trace = probe.trace;
        assert.equal(await within(remote.traced(7), WAIT_MS, "traced"), 7);
        assert.deepEqual(probe.trace, ["a in", "b in", "handler", "b out", "a out"]);
        const call = seen[0]!;
        assert.equal(call.method, "traced");
        assert.deepEqual(call.params, [7]);
        assert.equal(call.protocol, driver.protocol);
        assert.equal(call.notification, false);
        assert.equal(call.peer.transport, driver.transport);
        assert.ok(call.signal instanceof AbortSignal, "the call's signal");
      });

      it("an interceptor that throws PERMISSION_DENIED denies the call before the handler runs", opts, async (t) => {
        const deny: ServerInterceptor = (call, next) => {
          if (call.method === "traced") throw new RpcError("PERMISSION_DENIED", "not for you");
          return next();
        };
        const { remote, probe } = await fixture(t, { use: [deny] });
        await rejectsWith(remote.traced(1), clientCode("PERMISSION_DENIED"), WAIT_MS, "traced");
        assert.deepEqual(probe.trace, []);
        assert.equal(await within(remote.add(1, 1), WAIT_MS, "add"), 2);
      });

      it("an interceptor may change the params and the result", opts, async (t) => {
        const double: ServerInterceptor = (call, next) => {
          call.params = call.params.map((p) => (p as number) * 2);
          return next();
        };
        const plusOne: ServerInterceptor = async (_call, next) => ((await next()) as number) + 1;
        const { remote } = await fixture(t, { use: [plusOne, double] });
        assert.equal(await within(remote.add(1, 2), WAIT_MS, "add"), 7);
      });

      if (caps.notifications === "native") {
        it("server interceptors see notifications as such", opts, async (t) => {
          const seen: boolean[] = [];
          const { remote, probe } = await fixture(t, { use: [(call, next) => (seen.push(call.notification), next())] });
          await notified(remote.record, ["n"]);
          await until(WAIT_MS, "the handler ran", () => probe.recorded.length > 0);
          assert.deepEqual(seen, [true]);
        });
      }
    }

    if (caps.clientInterceptors) {
      it("client interceptors run in order around each call and may change its result", opts, async (t) => {
        const order: string[] = [];
        const seen: ClientCall[] = [];
        const around = (name: string): ClientInterceptor => async (call, next) => {
          order.push(`${name} in`);
          seen.push(call);
          const result = await next();
          order.push(`${name} out`);
          return name === "c" ? (result as number) * 10 : result;
        };
        const { remote } = await fixture(t, {}, { use: [around("c"), around("d")] });
        assert.equal(await within(remote.add(1, 2), WAIT_MS, "add"), 30);
        assert.deepEqual(order, ["c in", "d in", "d out", "c out"]);
        assert.equal(seen[0]!.method, "add");
        assert.deepEqual(seen[0]!.params, [1, 2]);
        assert.equal(seen[0]!.notification, false);
      });
    }
  });
}

