// Cancellation and deadlines that reach the handler and every call it makes, across hops:
// client -> A -> B over two real connections.
import assert from "node:assert/strict";
import { test } from "node:test";
import { close, connect, context, RpcError, serve, withOptions, type Remote } from "../../src/index.js";
import { rejectsWith, until, within } from "../helpers/bounded.js";

interface Seen {
  code?: string | number;
  deadline?: number | undefined;
  calls: number;
}

/** B: the last hop. Its handler waits for its signal and records why it was stopped. */
function backendApi(seen: Seen) {
  return {
    work(): Promise<string> {
      seen.calls++;
      const ctx = context();
      seen.deadline = ctx.deadline;
      return new Promise((_, reject) => {
        ctx.signal.addEventListener("abort", () => {
          seen.code = RpcError.is(ctx.signal.reason) ? ctx.signal.reason.code : "?";
          reject(ctx.signal.reason);
        });
      });
    },
    quick: () => "quick",
  };
}

async function chain(t: import("node:test").TestContext) {
  const seenB: Seen = { calls: 0 };
  const b = await serve(backendApi(seenB), { listen: "tcp://127.0.0.1:0", logger: false });
  t.after(() => b.close({ drainMs: 0 }));
  const toB = await connect<ReturnType<typeof backendApi>>(b.addresses[0], { logger: false });
  t.after(() => close(toB));
  const nested: { code?: string | number } = {};
  const apiA = {
    reports: {
      // A forwards to B without passing any option: the deadline and signal follow by themselves.
      build: () => toB.work(),
      async late(): Promise<string> {
        await new Promise((resolve) => setTimeout(resolve, 150)); // outlives its own deadline
        try {
          return await toB.quick();
        } catch (err) {
          nested.code = (err as RpcError).code;
          throw err;
        }
      },
    },
  };
  const a = await serve(apiA, { listen: "tcp://127.0.0.1:0", logger: false });
  t.after(() => a.close({ drainMs: 0 }));
  const client = await connect<typeof apiA>(a.addresses[0], { logger: false });
  t.after(() => close(client));
  return { client, seenB, nested };
}

test("aborting the client's signal cancels the handler two hops away", async (t) => {
  const { client, seenB } = await chain(t);
  const ac = new AbortController();
  const call = withOptions(client, { signal: ac.signal }).reports.build();
  await until(2000, "B received the call", () => seenB.calls === 1);
  ac.abort();
  await rejectsWith(call, "CANCELLED", 2000, "client call");
  await until(2000, "B's signal aborted", () => seenB.code !== undefined);
  assert.equal(seenB.code, "CANCELLED");
});

test("the client's deadline travels to the second hop, which stops when it passes", async (t) => {
  const { client, seenB } = await chain(t);
  const started = Date.now();
  await rejectsWith(withOptions(client, { timeout: 200 }).reports.build(), "DEADLINE_EXCEEDED", 3000, "client call");
  assert.ok(seenB.deadline !== undefined, "B's handler saw a deadline it was never given explicitly");
  assert.ok(seenB.deadline! <= started + 200 + 50, `B's deadline ${seenB.deadline! - started} ms after the start is within the client's 200 ms`);
  await until(2000, "B's signal aborted", () => seenB.code !== undefined);
  assert.ok(["DEADLINE_EXCEEDED", "CANCELLED"].includes(String(seenB.code)), `B stopped with ${String(seenB.code)}`);
});

test("a call made after the handler's deadline passed fails at once with DEADLINE_EXCEEDED and is never sent", async (t) => {
  const { client, seenB, nested } = await chain(t);
  await rejectsWith(withOptions(client, { timeout: 100 }).reports.late(), "DEADLINE_EXCEEDED", 3000, "client call");
  await until(2000, "A's nested call settled", () => nested.code !== undefined);
  assert.equal(nested.code, "DEADLINE_EXCEEDED");
  assert.equal(seenB.calls, 0);
});

test("a call without a deadline made outside any handler carries none", async (t) => {
  const server = await serve({ deadline: () => context().deadline }, { listen: "tcp://127.0.0.1:0", logger: false });
  t.after(() => server.close({ drainMs: 0 }));
  const remote = await connect<{ deadline(): number | undefined }>(server.addresses[0], { logger: false });
  t.after(() => close(remote));
  assert.equal(await remote.deadline(), undefined);
});

test("a callback to the client inherits the deadline of the call being served", async (t) => {
  let callbackDeadline: number | undefined;
  const server = await serve(
    {
      async convert(): Promise<string> {
        return context().remote<{ progress(): string }>().progress();
      },
    },
    { listen: "tcp://127.0.0.1:0", logger: false },
  );
  t.after(() => server.close({ drainMs: 0 }));
  const remote: Remote<{ convert(): Promise<string> }> = await connect(server.addresses[0], {
    logger: false,
    expose: {
      progress: () => {
        callbackDeadline = context().deadline;
        return "ok";
      },
    },
  });
  t.after(() => close(remote));
  const started = Date.now();
  assert.equal(await within(withOptions(remote, { timeout: 1000 }).convert(), 2000, "convert"), "ok");
  assert.ok(callbackDeadline !== undefined && callbackDeadline <= started + 1000 + 50, "the callback ran under the caller's deadline");
});

test("withOptions({ inherit: false }) makes a call inside a handler independent of the call being served", async (t) => {
  const b = await serve({ quick: () => "done" }, { listen: "tcp://127.0.0.1:0", logger: false });
  t.after(() => b.close({ drainMs: 0 }));
  const toB = await connect<{ quick(): string }>(b.addresses[0], { logger: false });
  t.after(() => close(toB));
  const outcomes: Record<string, string> = {};
  let background: Promise<void> | undefined;
  const a = await serve(
    {
      start(): string {
        // Work that outlives the call: it runs after the caller's 100 ms deadline has passed.
        background = new Promise<void>((resolve) => setTimeout(resolve, 250)).then(async () => {
          outcomes.inherited = await toB.quick().then(
            (v) => v,
            (e: RpcError) => String(e.code),
          );
          outcomes.detached = await withOptions(toB, { inherit: false }).quick();
        });
        return "started";
      },
    },
    { listen: "tcp://127.0.0.1:0", logger: false },
  );
  t.after(() => a.close({ drainMs: 0 }));
  const client = await connect<{ start(): string }>(a.addresses[0], { logger: false });
  t.after(() => close(client));
  assert.equal(await withOptions(client, { timeout: 100 }).start(), "started");
  await within(background!, 3000, "the background work");
  assert.equal(outcomes.inherited, "DEADLINE_EXCEEDED", "by default the served call's deadline still applies");
  assert.equal(outcomes.detached, "done");
});
