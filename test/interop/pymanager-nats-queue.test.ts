/**
 * The demo's shared queue with its state in NATS (`farcall serve --store nats://...`): two
 * instances on one real nats-server serve one queue (a JetStream work-queue stream) to
 * unchanged Python manager clients and to farcall/1 clients; an item put through one
 * instance is taken, once, through the other; a waiting get parks only its own client.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { close, connect } from "../../src/index.js";
import { within } from "../helpers/bounded.js";
import { natsServerMissing, startNatsServer, type NatsServer } from "../helpers/nats.js";
import { findPyenv, findPython3, startPython } from "../fixtures/pymanager/python-run.js";
import { lineHolds, QUEUE_OPS, queueOps, relayedNats, startInstance, WAIT_MS, type Instance } from "../helpers/demo-queue.js";
import { connect as natsConnect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import type { DemoApi } from "../../src/demo/service.js";

const skip = natsServerMissing("NATS-shared demo queue tests");
const python = findPython3("NATS-shared demo queue tests");
const PYTHONS = [["2.7", findPyenv("2.7", "NATS-shared demo queue tests")], ["3.13", findPyenv("3.13", "NATS-shared demo queue tests")]] as const;
type Demo = DemoApi;

function ops(instance: Instance, ...operations: string[]) {
  return queueOps(python!, instance, ...operations);
}

describe("the demo's queue shared through NATS by two instances", { skip: skip !== undefined || python === undefined }, () => {
  let nats: NatsServer;
  let a: Instance;
  let b: Instance;

  before(async () => {
    nats = await startNatsServer();
    [a, b] = await Promise.all([startInstance(`${nats.url}/shared`), startInstance(`${nats.url}/shared`)]);
  });

  after(async () => {
    await Promise.all([a?.process.stop(), b?.process.stop()]);
    await nats?.stop();
  });

  it("what a Python client puts through one instance, a Python client of the other gets; qsize is the same through both", async () => {
    const put = await ops(a, "put=one", "put=two", "qsize");
    assert.equal(put.code, 0, put.stderr);
    assert.equal(put.stdout, "put one\nput two\nqsize 2 False\ndone\n");
    const seen = await ops(b, "qsize", "get=10", "get=10", "qsize");
    assert.equal(seen.code, 0, seen.stderr);
    assert.equal(seen.stdout, "qsize 2 False\nwaiting\ngot one\nwaiting\ngot two\nqsize 0 True\ndone\n");
  });

  it("a Python get(timeout) waiting on one instance parks only itself, and takes what a farcall/1 client puts through the other", async (t) => {
    const getter = startPython(python!, [QUEUE_OPS, "127.0.0.1", a.port, "get=30"], WAIT_MS);
    t.after(() => getter.child.kill());
    assert.equal(await getter.line(), "waiting");
    const onA = await connect<Demo>(a.tcp, { logger: false });
    const onB = await connect<Demo>(b.tcp, { logger: false });
    try {
      // The same instance answers its other clients while the get waits.
      assert.equal(await within(Promise.resolve(onA.queue.size()), WAIT_MS, "size() while a get waits"), 0);
      const other = await ops(a, "qsize");
      assert.equal(other.stdout, "qsize 0 True\ndone\n");
      await onB.queue.put({ from: "typescript" });
      assert.equal(await getter.line(), "got {'from': 'typescript'}");
    } finally {
      await Promise.all([close(onA), close(onB)]);
    }
  });

  it("a get(timeout=0.3) on an empty queue raises queue.Empty after 0.3 s, and an item put just after is not lost to it", async () => {
    const empty = await ops(a, "get=0.3");
    assert.equal(empty.code, 0, empty.stderr);
    const [, seconds] = empty.stdout.match(/^waiting\nempty after (\S+) s\ndone\n$/) ?? [];
    assert.ok(Number(seconds) >= 0.3, `waited ${seconds} s`);
    // JetStream's shortest pull lasts 1 s: the abandoned one may receive this item, and hands it back.
    const put = await ops(b, "put=kept");
    assert.equal(put.code, 0, put.stderr);
    const got = await ops(a, "get=20");
    assert.equal(got.stdout, "waiting\ngot kept\ndone\n");
  });

  it("an item put after a waiting Python getter was killed is not lost to it: a getter on the other instance takes it", async () => {
    const nc = await natsConnect({ servers: nats.url });
    const jsm = await jetstreamManager(nc);
    const waitingPulls = async () => (await jsm.consumers.info("shared_queue", "getters")).num_waiting;
    const doomed = startPython(python!, [QUEUE_OPS, "127.0.0.1", a.port, "get=30"], WAIT_MS);
    try {
      assert.equal(await doomed.line(), "waiting");
      // Killed only once its get is a pull waiting at JetStream.
      const deadline = Date.now() + WAIT_MS;
      while ((await waitingPulls()) === 0) {
        assert.ok(Date.now() < deadline, "the getter's pull never waited at JetStream");
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    } finally {
      await nc.close();
    }
    doomed.child.kill("SIGKILL");
    await doomed.exited;
    // Its pull may still be waiting at JetStream for up to 30 s: what it receives goes back.
    const put = await ops(b, "put=survivor");
    assert.equal(put.code, 0, put.stderr);
    const got = await ops(b, "get=20");
    assert.equal(got.stdout, "waiting\ngot survivor\ndone\n", got.stderr);
  });

  it("values keep their types through the stream: Python's tuple, frozenset, bytearray, datetime and big int for Python, bigint and Map for TypeScript", async () => {
    const put = await ops(a, "put_typed");
    assert.equal(put.code, 0, put.stderr);
    const got = await ops(b, "get_typed=10");
    assert.equal(got.stdout, "got typed ((1, 'x'), frozenset({2}), bytearray(b'ab'), {(1, 2): [3]}, datetime.datetime(2024, 1, 2, 3, 4, 5, 6), 1180591620717411303424) " +
      "['tuple', 'frozenset', 'bytearray', 'dict', 'datetime', 'int']\ndone\n", got.stderr);
    const onA = await connect<Demo>(a.tcp, { logger: false });
    const onB = await connect<Demo>(b.tcp, { logger: false });
    try {
      const value = { n: 10n, m: new Map([[1, "one"]]), at: new Date(0) };
      await onA.queue.put(value);
      assert.deepEqual(await onB.queue.get(10_000), value);
      await assert.rejects(Promise.resolve(onB.queue.get(-1)), { code: "INVALID_PARAMS", message: /timeoutMs must be a non-negative number/ });
    } finally {
      await Promise.all([close(onA), close(onB)]);
    }
  });

  it("a value a Python client stores under a key through one instance reads back through the other with its Python types", async () => {
    const put = await ops(a, "kv_put_typed");
    assert.equal(put.code, 0, put.stderr);
    const got = await ops(b, "kv_get_typed");
    assert.equal(got.stdout, "kv got typed ((1, 'x'), frozenset({2}), bytearray(b'ab')) ['tuple', 'frozenset', 'bytearray']\ndone\n", got.stderr);
  });

  it("60 items drained by two Python consumers on the two instances are each taken exactly once", async () => {
    const items = Array.from({ length: 60 }, (_, i) => `item${i}`);
    const onA = await connect<Demo>(a.tcp, { logger: false });
    try {
      for (const item of items) await onA.queue.put(item);
    } finally {
      await close(onA);
    }
    const runs = await Promise.all([ops(a, "drain=2"), ops(b, "drain=2")]);
    const taken = runs.flatMap((run) => {
      assert.equal(run.code, 0, run.stderr);
      return run.stdout.match(/^drained(.*)$/m)![1]!.trim().split(" ").filter((s) => s !== "");
    });
    assert.deepEqual([...taken].sort(), [...items].sort());
  });

  it("get_queue() over farcall/1 answers a reference to the one queue: its put reaches a Python getter on the other instance, its get takes what Python put", async () => {
    const onB = await connect<Demo>(b.tcp, { logger: false });
    try {
      const q = await onB.get_queue();
      await q.put((1n << 70n));
      const got = await ops(a, "get=10", "put=from-python", "qsize");
      assert.equal(got.stdout, "waiting\ngot 1180591620717411303424\nput from-python\nqsize 1 False\ndone\n", got.stderr);
      assert.equal(await q.qsize(), 1);
      assert.equal(await q.full(), false);
      assert.equal(await q.get({ timeoutMs: 10_000 }), "from-python");
      assert.equal(await q.empty(), true);
      await q.putNowait("now");
      assert.equal(await q.getNowait(), "now");
      await assert.rejects(q.getNowait(), { code: "QUEUE_EMPTY" });
      await assert.rejects(q.get({ timeoutMs: 200 }), { code: "QUEUE_EMPTY" });
    } finally {
      await close(onB);
    }
  });

  it("get_queue() over JSON-RPC and XML-RPC fails naming queue.put/get/size, which reach the same queue", async () => {
    const http = b.tcp.replace("tcp://", "http://");
    for (const url of [http, http.replace("http://", "xmlrpc+http://")]) {
      const remote = await connect<Demo>(url, { logger: false });
      try {
        await assert.rejects(Promise.resolve(remote.get_queue()), { code: "INVALID_REQUEST", message: /get_queue\(\) answers the queue by reference, which only farcall\/1 and Python's manager clients can hold; over (jsonrpc|xmlrpc) use queue\.put\(item\), queue\.get\(timeoutMs\) and queue\.size\(\)/ }, url);
        await remote.queue.put("over " + url.split(":")[0]);
        assert.equal(await remote.queue.size(), 1);
        assert.equal(await remote.queue.get(10_000), "over " + url.split(":")[0]);
      } finally {
        await close(remote);
      }
    }
  });

  it("an item handed back by a getter that gave up is counted by qsize and taken by get_nowait", async () => {
    const onA = await connect<Demo>(a.tcp, { logger: false });
    const nc = await natsConnect({ servers: nats.url });
    try {
      const jsm = await jetstreamManager(nc);
      const q = await onA.get_queue();
      // This get gives up after 50 ms; its pull waits at JetStream for the rest of its second.
      await assert.rejects(q.get({ timeoutMs: 50 }), { code: "QUEUE_EMPTY" });
      await q.put("handed back");
      // Delivered to the abandoned pull (no longer pending delivery), which hands it back by nak.
      const deadline = Date.now() + WAIT_MS;
      while ((await jsm.consumers.info("shared_queue", "getters")).num_pending !== 0) {
        assert.ok(Date.now() < deadline, "the item never went to the abandoned pull");
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      while ((await q.qsize()) !== 1) {
        assert.ok(Date.now() < deadline, "qsize never counted the item");
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const python = await ops(a, "qsize");
      assert.equal(python.stdout, "qsize 1 False\ndone\n");
      assert.equal(await q.getNowait(), "handed back");
      assert.equal(await q.qsize(), 0);
    } finally {
      await nc.close();
      await close(onA);
    }
  });

  it("Python 2.7 and 3.13 clients on the two instances pass items both ways", { skip: PYTHONS.some(([, exe]) => exe === undefined) }, async () => {
    const [[, py27], [, py313]] = PYTHONS;
    const fromOld = await queueOps(py27!, a, "put=from-2.7");
    assert.equal(fromOld.code, 0, fromOld.stderr);
    const toNew = await queueOps(py313!, b, "get=10", "put=from-3.13");
    assert.equal(toNew.stdout, "waiting\ngot from-2.7\nput from-3.13\ndone\n", toNew.stderr);
    const toOld = await queueOps(py27!, a, "get=10");
    assert.equal(toOld.stdout, "waiting\ngot from-3.13\ndone\n", toOld.stderr);
  });
});

describe("the demo's queue shared through NATS, a Python getter's instance stopped past the ack wait", { skip: skip !== undefined || python === undefined }, () => {
  const nats = relayedNats();

  it("two Python getters on two instances, the first one's instance stopped (SIGSTOP) holding the item past the ack wait: the second gets it, the first gets the next item, not the same one", async (t) => {
    const [a, b] = await Promise.all([nats.instance(true, "py_stopped"), nats.instance(false, "py_stopped")]);
    const hold = nats.relay.holdDelivery("$JS.ACK.py_stopped_queue.");
    const first = startPython(python!, [QUEUE_OPS, "127.0.0.1", a.port, "get=60"], WAIT_MS);
    t.after(() => first.child.kill());
    assert.equal(await first.line(), "waiting");
    assert.equal((await ops(b, "put=x")).stdout, "put x\ndone\n");
    await within(hold.held, WAIT_MS, "the item's delivery to the first instance");
    process.kill(a.process.pid, "SIGSTOP");
    try {
      hold.release();
      const second = await ops(b, "get=30");
      assert.equal(second.stdout, "waiting\ngot x\ndone\n", second.stderr);
    } finally {
      process.kill(a.process.pid, "SIGCONT");
    }
    assert.equal((await ops(b, "put=y")).stdout, "put y\ndone\n");
    assert.equal(await first.line(), "got y", "the first getter does not get the item the second got");
    assert.equal((await ops(b, "qsize")).stdout, "qsize 0 True\ndone\n");
  });

  it("Python puts waiting on a full queue (maxsize 1) through two instances go in in the order they began waiting", async (t) => {
    const [a, b] = await Promise.all([nats.instance(false, "py_line", "--queue-maxsize", "1"), nats.instance(false, "py_line", "--queue-maxsize", "1")]);
    assert.equal((await ops(a, "put=0")).stdout, "put 0\ndone\n");
    const putters = [];
    for (let i = 1; i <= 4; i++) {
      const putter = startPython(python!, [QUEUE_OPS, "127.0.0.1", (i % 2 === 1 ? a : b).port, `put_wait=${i}:60`], WAIT_MS);
      t.after(() => putter.child.kill());
      assert.equal(await putter.line(), "waiting");
      putters.push(putter);
      await lineHolds(nats.url, "py_line", i);
    }
    const got = await ops(b, "get=30", "get=30", "get=30", "get=30", "get=30");
    assert.equal(got.stdout, "waiting\ngot 0\nwaiting\ngot 1\nwaiting\ngot 2\nwaiting\ngot 3\nwaiting\ngot 4\ndone\n", got.stderr);
    for (const [i, putter] of putters.entries()) assert.equal(await putter.line(), `put ${i + 1}`);
  });
});
