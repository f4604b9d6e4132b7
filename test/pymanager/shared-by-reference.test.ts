/**
 * A shared object (SharedQueue, SharedDict...) returned by a method is never sent as a copy of
 * its fields: farcall/1 passes it by reference, so the caller's calls run on the one
 * instance; JSON-RPC and XML-RPC, which have no references, fail the call naming the object.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { close, connect, serve, SharedDict, SharedEvent, SharedList, SharedLock, SharedNamespace, SharedQueue, SharedSemaphore, SharedValue, type Ref, type Server } from "../../src/index.js";

const queue = new SharedQueue<number>();
const dict = new SharedDict<string, number>();
const makers = {
  SharedQueue: () => queue,
  SharedDict: () => dict,
  SharedList: () => new SharedList([1]),
  SharedNamespace: () => new SharedNamespace({ a: 1 }),
  SharedValue: () => new SharedValue(1, "i"),
  SharedLock: () => new SharedLock(),
  SharedSemaphore: () => new SharedSemaphore(),
  SharedEvent: () => new SharedEvent(),
};
const api = { ...makers, nested: () => ({ jobs: [queue] }) };

async function serving(t: { after(fn: () => unknown): void }): Promise<Server> {
  const server = await serve(api, { listen: ["tcp://127.0.0.1:0", "http://127.0.0.1:0"], logger: false });
  t.after(() => server.close());
  return server;
}

describe("a shared object returned by a method", () => {
  test("crosses farcall/1 as a reference: the caller's put and the server's get meet on the same queue", async (t) => {
    const server = await serving(t);
    const remote = await connect<{ SharedQueue(): Ref<SharedQueue<number>>; SharedDict(): Ref<SharedDict<string, number>>; nested(): { jobs: Ref<SharedQueue<number>>[] } }>(server.addresses[0]!);
    t.after(() => close(remote));
    const q = await remote.SharedQueue();
    await q.put(41);
    assert.equal(await queue.get(), 41);
    await queue.put(42);
    assert.equal(await q.get(), 42);
    const d = await remote.SharedDict();
    await d.set("k", 7);
    assert.equal(dict.get("k"), 7);
    const { jobs } = await remote.nested();
    await jobs[0]!.put(43);
    assert.equal(await queue.get(), 43);
  });

  for (const kind of Object.keys(makers)) {
    test(`a ${kind} crosses farcall/1 as a reference, not as a copy of its fields`, async (t) => {
      const server = await serving(t);
      const remote = await connect<Record<string, () => unknown>>(server.addresses[0]!);
      t.after(() => close(remote));
      assert.equal(typeof await remote[kind]!(), "function", "a proxy, whose members are calls");
    });
  }

  test("over JSON-RPC fails the call naming the shared object and what to call instead", async (t) => {
    const server = await serving(t);
    const remote = await connect<Record<string, () => unknown>>(server.addresses[1]!);
    for (const kind of [...Object.keys(makers), "nested"]) {
      const shown = kind === "nested" ? "SharedQueue" : kind;
      await assert.rejects(Promise.resolve(remote[kind]!()), (err: Error & { code?: string }) => {
        assert.equal(err.code, "INTERNAL", kind);
        assert.match(err.message, new RegExp(`a ${shown} cannot be sent as JSON: a shared object travels only by reference .*serve it under a name`));
        return true;
      }, kind);
    }
    await close(remote);
  });

  test("over XML-RPC fails the call as JSON-RPC does: INTERNAL (the server cannot send its result) naming the shared object, where it sits and what to call instead", async (t) => {
    const server = await serving(t);
    const remote = await connect<Record<string, () => unknown>>(server.addresses[1]!.replace("http://", "xmlrpc+http://"));
    for (const kind of [...Object.keys(makers), "nested"]) {
      const [shown, at] = kind === "nested" ? ["SharedQueue", "result.jobs\\[0\\]"] : [kind, "result"];
      await assert.rejects(Promise.resolve(remote[kind]!()), (err: Error & { code?: string }) => {
        assert.equal(err.code, "INTERNAL", kind);
        assert.match(err.message, new RegExp(`XML-RPC cannot carry a ${shown} \\(at ${at}\\): it travels only by reference .*serve it under a name, as in serve\\(\\{ shared: new ${shown}\\(\\) \\}\\), and call shared\\.<method>`));
        return true;
      }, kind);
    }
    await close(remote);
  });
});
