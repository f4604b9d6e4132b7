/** The demo service as callers see it: through a real server and client. */
import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import { close, connect, RpcError, serve, withOptions, type Remote } from "../../src/index.js";
import { createDemoService, type DemoApi } from "../../src/demo/service.js";
import { memoryState } from "../../src/demo/store-backend.js";

async function demo(t: TestContext): Promise<{ remote: Remote<DemoApi>; url: string; close(): Promise<void> }> {
  const server = await serve(createDemoService(), { listen: "tcp://127.0.0.1:0", logger: false });
  const url = server.addresses[0]!;
  const remote = await connect<DemoApi>(url, { logger: false });
  t.after(async () => {
    await close(remote);
    await server.close({ drainMs: 0 });
  });
  return { remote, url, close: () => server.close({ drainMs: 10_000 }) };
}

function isCode(code: string) {
  return (err: unknown) => RpcError.is(err) && err.code === code;
}

describe("the demo service over a connection", () => {
  it("runs the origin key-value example: get of a missing key is null, then put, then get", async (t) => {
    const { remote } = await demo(t);
    assert.equal(await remote.get("a"), null);
    await remote.put("a", 10);
    assert.equal(await remote.get("a"), 10);
    assert.deepEqual(await remote.keys(), ["a"]);
  });

  it("5 clients x 1000 x (get, inc) on one counter end at exactly 5000", async (t) => {
    const { remote, url } = await demo(t);
    const watch = async () => {
      const client = await connect<DemoApi>(url, { logger: false });
      for (let i = 0; i < 1000; i++) {
        await client.counter.get("hikakin");
        await client.counter.inc("hikakin");
      }
      await close(client);
    };
    await Promise.all([watch(), watch(), watch(), watch(), watch()]);
    assert.equal(await remote.counter.get("hikakin"), 5000);
  });

  it("the account keeps its state on the server and its errors keep their code and data", async (t) => {
    const { remote } = await demo(t);
    assert.equal(await remote.account.deposit(100), 100);
    await assert.rejects(remote.account.withdraw(500), (err: unknown) => {
      assert.ok(isCode("INSUFFICIENT_FUNDS")(err));
      assert.deepEqual((err as RpcError).data, { balance: 100 });
      return true;
    });
    assert.equal(await remote.account.balance(), 100);
  });

  it("echo returns extended values unchanged", async (t) => {
    const { remote } = await demo(t);
    const value = { n: 2n ** 70n, when: new Date(5), bytes: new Uint8Array([1, 2]), map: new Map([["k", 1]]) };
    assert.deepEqual(await remote.echo(value), value);
  });

  it("a cancelled sleep rejects with CANCELLED and frees the server at once", async (t) => {
    const { remote, close: closeServer } = await demo(t);
    const controller = new AbortController();
    const slept = withOptions(remote, { signal: controller.signal }).sleep(60_000);
    setTimeout(() => controller.abort(), 50);
    await assert.rejects(slept, isCode("CANCELLED"));
    const started = performance.now();
    await closeServer();
    assert.ok(performance.now() - started < 5_000, "close() did not wait for the cancelled sleep");
  });

  it("a sleep past its deadline stops with DEADLINE_EXCEEDED for the caller", async (t) => {
    const { remote } = await demo(t);
    await assert.rejects(withOptions(remote, { timeout: 50 }).sleep(60_000), isCode("DEADLINE_EXCEEDED"));
  });

  it("get_queue() over farcall/1 answers a reference to the queue in memory, bounded by queueMaxsize; JSON-RPC is refused naming queue.*", async (t) => {
    const server = await serve(createDemoService(memoryState({ queueMaxsize: 1 })), { listen: ["tcp://127.0.0.1:0", "http://127.0.0.1:0"], logger: false });
    t.after(() => server.close({ drainMs: 0 }));
    const remote = await connect<DemoApi>(server.addresses[0]!, { logger: false });
    t.after(() => close(remote));
    const q = await remote.get_queue();
    await q.put("one");
    assert.equal(await remote.queue.size(), 1);
    await assert.rejects(q.putNowait("two"), isCode("QUEUE_FULL"));
    assert.equal(await remote.queue.get(1000), "one");
    await q.taskDone();
    await q.join();
    await assert.rejects(q.taskDone(), isCode("ValueError"));
    const json = await connect<DemoApi>(server.addresses[1]!, { logger: false });
    t.after(() => close(json));
    await assert.rejects(Promise.resolve(json.get_queue()), { code: "INVALID_REQUEST", message: /over jsonrpc use queue\.put\(item\)/ });
  });
});
