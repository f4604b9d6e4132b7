/**
 * Python's shared objects (SyncManager's dict, list, Namespace, Queue, Value, Lock, RLock,
 * Semaphore, Event, Condition) served by farcall to unchanged Python clients, checked against
 * Python's own SyncManager server; the remote-queue examples of Python's documentation; waits
 * that park only their own client; and one queue shared by Python and TypeScript.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { close, connect, serve, SharedLock, SharedQueue, type Interceptor, type Server } from "../../src/index.js";
import { until, within } from "../helpers/bounded.js";
import { findPython3, managerFixture, pythonVersions, runPython, startPython } from "../fixtures/pymanager/python-run.js";

const SYNC_TYPES = managerFixture("sync_types.py");
const SYNC_SERVER = managerFixture("sync_server.py");
const DOC_PUT = managerFixture("docs/queue_client_put.py");
const DOC_GET = managerFixture("docs/queue_client_get.py");
const LOCK_CLIENT = managerFixture("lock_client.py");
const REFUSALS = managerFixture("refusals.py");
const DOC_DICT_LIST = managerFixture("docs/manager_dict_list.py");
const RUN_MS = 60_000;

const python = findPython3("pymanager shared-object tests");
const VERSIONS = pythonVersions("SyncManager shared-object tests");

/** An interceptor counting the calls of each method that started, and a way to await one. */
function watchCalls(): { use: Interceptor[]; started(method: string): number } {
  const counts = new Map<string, number>();
  return {
    use: [(call, next) => {
      counts.set(call.method, (counts.get(call.method) ?? 0) + 1);
      return next();
    }],
    started: (method) => counts.get(method) ?? 0,
  };
}

function portOf(url: string): string {
  return url.slice(url.lastIndexOf(":") + 1);
}

async function serveBoth(api: object, use: Interceptor[] = [], authkey = "password"): Promise<{ server: Server; tcp: string; port: string }> {
  const server = await serve(api, { listen: ["tcp://127.0.0.1:0", "pymanager://127.0.0.1:0"], authkey, logger: false, use });
  return { server, tcp: server.addresses[0]!, port: portOf(server.addresses[1]!) };
}

describe("SyncManager's shared objects served by farcall", { skip: python === undefined }, () => {
  for (const [version, exe] of VERSIONS) {
    it(`every SyncManager type answers a Python ${version} client as Python's own SyncManager server does`, { skip: exe === undefined }, async (t) => {
      const own = startPython(exe!, [SYNC_SERVER], RUN_MS);
      t.after(() => own.child.kill());
      const ready = await own.line();
      const theirs = await runPython(exe!, [SYNC_TYPES, "127.0.0.1", ready.split(" ")[1]!], RUN_MS);
      assert.equal(theirs.code, 0, theirs.stderr);
      const { server, port } = await serveBoth({});
      t.after(() => server.close());
      const ours = await runPython(exe!, [SYNC_TYPES, "127.0.0.1", port], RUN_MS);
      assert.equal(ours.code, 0, ours.stderr);
      assert.match(ours.stdout, /^done$/m, "the script ran to its end");
      assert.equal(ours.stdout, theirs.stdout);
    });
  }

  for (const [version, exe] of VERSIONS.filter(([v]) => v === "2.7" || v === "3.13")) {
    it(`sort(key=...), Pool and Barrier(action=...), which need a Python callable, are refused with a RemoteError whose TypeError names why, and the connection goes on (Python ${version})`, { skip: exe === undefined }, async (t) => {
      const { server, port } = await serveBoth({});
      t.after(() => server.close());
      const run = await runPython(exe!, [REFUSALS, "127.0.0.1", port], RUN_MS);
      assert.equal(run.code, 0, run.stderr);
      const builtins = version === "2.7" ? "__builtin__" : "builtins";
      assert.equal(run.stdout, [
        `sort RemoteError TypeError: pickle refused: global ${builtins}.len is not allowed: this server runs no Python code, so it cannot call a Python callable or rebuild an object of a class it does not know`,
        "list still served ['a', 'bb', 'ccc']",
        "big int RemoteError ValueError: pickle LONG4 of 1246 bytes exceeds 1024",
        "list still served ['a', 'bb', 'ccc']",
        "pool RemoteError TypeError: Pool is not served: a pool runs Python callables, and this server runs no Python code",
        ...(version === "2.7" ? [] : ["barrier action RemoteError TypeError: pickle refused: global __main__.arrived is not allowed: this server runs no Python code, so it cannot call a Python callable or rebuild an object of a class it does not know"]),
        "done",
        "",
      ].join("\n"));
    });
  }

  it("the remote-queue examples of Python's documentation run unchanged: one client puts, another gets", async (t) => {
    const queue = new SharedQueue();
    const { server, port } = await serveBoth({ get_queue: () => queue }, [], "abracadabra");
    t.after(() => server.close());
    const put = await runPython(python!, [DOC_PUT, "127.0.0.1", port], RUN_MS);
    assert.equal(put.code, 0, put.stderr);
    assert.equal(queue.qsize(), 1);
    const get = await runPython(python!, [DOC_GET, "127.0.0.1", port], RUN_MS);
    assert.equal(get.code, 0, get.stderr);
    assert.equal(get.stdout, "'hello'\n");
    assert.equal(queue.qsize(), 0);
  });

  it("the documentation's Manager example runs: a child process changes a dict and a list the parent made, and the parent sees it", async (t) => {
    const { server, port } = await serveBoth({});
    t.after(() => server.close());
    const run = await runPython(python!, [DOC_DICT_LIST, "127.0.0.1", port], RUN_MS);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, "{1: '1', '2': 2, 0.25: None}\n[9, 8, 7, 6, 5, 4, 3, 2, 1, 0]\n");
    await until(RUN_MS, "every reference released", () => server.connections === 0);
  });

  it("a Queue.get waiting in one Python client leaves other clients' calls answered, and takes the item another puts", async (t) => {
    const queue = new SharedQueue();
    const calls = watchCalls();
    const { server, port } = await serveBoth({ get_queue: () => queue }, calls.use, "abracadabra");
    t.after(() => server.close());
    const getter = startPython(python!, [DOC_GET, "127.0.0.1", port], RUN_MS);
    t.after(() => getter.child.kill());
    await until(RUN_MS, "the getter waits in Queue.get", () => calls.started("Queue.get") === 1);
    // Three calls of another client (create, then put, then the proxy's decref) answer meanwhile.
    const put = await runPython(python!, [DOC_PUT, "127.0.0.1", port], RUN_MS, { ITEM: "for the waiting getter" });
    assert.equal(put.code, 0, put.stderr);
    assert.equal(await getter.line(), "'for the waiting getter'");
    assert.equal((await getter.exited)[0], 0);
    assert.equal(queue.qsize(), 0, "the item went to the getter, not into the queue");
  });

  it("Python producers fill a queue that a TypeScript consumer drains over farcall/1, and the other way round", async (t) => {
    const queue = new SharedQueue<string>();
    const { server, tcp, port } = await serveBoth({ jobs: queue, get_queue: () => queue }, [], "abracadabra");
    t.after(() => server.close());
    const remote = await connect<{ jobs: SharedQueue<string> }>(tcp, { authkey: "abracadabra" });
    t.after(() => close(remote));
    const producers = ["one", "two", "three", "four"].map((item) => runPython(python!, [DOC_PUT, "127.0.0.1", port], RUN_MS, { ITEM: item }));
    const drained: string[] = [];
    for (let i = 0; i < 4; i++) drained.push(await within(remote.jobs.get({ timeoutMs: 30_000 }), RUN_MS, "a TypeScript get"));
    for (const run of await Promise.all(producers)) assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(drained.sort(), ["four", "one", "three", "two"]);
    await assert.rejects(remote.jobs.get({ block: false }), { code: "QUEUE_EMPTY" });
    // A Python consumer waits first; the TypeScript producer's item reaches it.
    const consumer = runPython(python!, [DOC_GET, "127.0.0.1", port], RUN_MS);
    await remote.jobs.put("from TypeScript");
    const got = await consumer;
    assert.equal(got.code, 0, got.stderr);
    assert.equal(got.stdout, "'from TypeScript'\n");
  });

  it("a Lock held elsewhere makes a Python client wait until it is released", async (t) => {
    const lock = new SharedLock();
    const calls = watchCalls();
    const { server, port } = await serveBoth({ get_lock: () => lock }, calls.use);
    t.after(() => server.close());
    assert.equal(await lock.acquire(), true);
    const waiter = startPython(python!, [LOCK_CLIENT, "127.0.0.1", port, "wait"], RUN_MS);
    t.after(() => waiter.child.kill());
    await until(RUN_MS, "the client waits in Lock.acquire", () => calls.started("Lock.acquire") === 1);
    assert.equal(waiter.child.exitCode, null, "still waiting");
    lock.release();
    assert.equal(await waiter.line(), "acquired");
    assert.equal((await waiter.exited)[0], 0);
    assert.equal(lock.locked(), false, "the client released it");
  });

  it("a client killed while waiting for a Lock is taken out of line; one killed holding it leaves it held, as Python's server does", async (t) => {
    const lock = new SharedLock();
    const calls = watchCalls();
    const { server, port } = await serveBoth({ get_lock: () => lock }, calls.use);
    t.after(() => server.close());
    await lock.acquire();
    const waiter = startPython(python!, [LOCK_CLIENT, "127.0.0.1", port, "wait"], RUN_MS);
    await until(RUN_MS, "the client waits in Lock.acquire", () => calls.started("Lock.acquire") === 1);
    waiter.child.kill("SIGKILL");
    await waiter.exited;
    await until(RUN_MS, "the dead client's connection closed", () => server.connections === 0);
    lock.release();
    assert.equal(lock.locked(), false, "the lock was not handed to the dead client");
    const holder = await runPython(python!, [LOCK_CLIENT, "127.0.0.1", port, "hold"], RUN_MS);
    assert.equal(holder.stdout, "acquired\n");
    assert.equal(lock.locked(), true, "a holder that died keeps the lock held");
  });
});
