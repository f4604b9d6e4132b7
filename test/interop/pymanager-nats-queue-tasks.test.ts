/**
 * The demo's queue shared through NATS behaves as Python's `queue.Queue` across instances:
 * with `--queue-maxsize` a blocking put waits (parking only its own call) until a get on
 * any instance makes room, and put_nowait raises Full; `task_done()`/`join()` count every
 * instance's puts and task_done calls, exactly, with ValueError when task_done is called
 * too often. Two instances per store on a real nats-server, Python 3 and 2.7 clients and
 * farcall/1 TypeScript clients.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { close, connect } from "../../src/index.js";
import type { DemoApi } from "../../src/demo/service.js";
import { within } from "../helpers/bounded.js";
import { natsServerMissing, startNatsServer, type NatsServer } from "../helpers/nats.js";
import { findPyenv, findPython3, startPython } from "../fixtures/pymanager/python-run.js";
import { QUEUE_OPS, queueOps, startInstance, WAIT_MS, type Instance } from "../helpers/demo-queue.js";
import { spawnNode } from "../helpers/processes.js";

const skip = natsServerMissing("NATS-shared demo queue tests");
const python = findPython3("NATS-shared demo queue tests");
const py27 = findPyenv("2.7", "NATS-shared demo queue tests");

/** True when `line` has not come within `ms` (it is still pending, and is left to be awaited later). */
async function silentFor(line: Promise<string>, ms: number): Promise<boolean> {
  return (await Promise.race([line.then(() => false, () => false), new Promise<boolean>((resolve) => setTimeout(resolve, ms, true))]));
}

describe("the demo's queue shared through NATS, as Python's queue.Queue", { skip: skip !== undefined || python === undefined }, () => {
  let nats: NatsServer;
  const started: Instance[] = [];

  before(async () => {
    nats = await startNatsServer();
  });

  after(async () => {
    await Promise.all(started.map((i) => i.process.stop()));
    await nats?.stop();
  });

  async function pair(bucket: string, ...extra: string[]): Promise<[Instance, Instance]> {
    const both = await Promise.all([startInstance(`${nats.url}/${bucket}`, ...extra), startInstance(`${nats.url}/${bucket}`, ...extra)]);
    started.push(...both);
    return both;
  }

  it("with --queue-maxsize 2, put_nowait and put(timeout) raise queue.Full on a full queue, and full() says so through both instances", async () => {
    const [c, d] = await pair("bounded_full", "--queue-maxsize", "2");
    const run = await queueOps(python!, c, "put=a", "put=b", "full", "put_nowait=c", "put_wait=c:0.3");
    assert.equal(run.code, 0, run.stderr);
    const [, seconds] = run.stdout.match(/^put a\nput b\nfull True 2\nfull\nwaiting\nfull after (\S+) s\ndone\n$/) ?? [];
    assert.ok(Number(seconds) >= 0.3, run.stdout);
    if (py27 !== undefined) {
      const old = await queueOps(py27, d, "full", "put_nowait=c", "put_wait=c:0.2");
      assert.match(old.stdout, /^full True 2\nfull\nwaiting\nfull after \S+ s\ndone\n$/, old.stderr);
    }
    const onD = await connect<DemoApi>(d.tcp, { logger: false });
    try {
      const q = await onD.get_queue();
      assert.equal(await q.full(), true);
      await assert.rejects(q.putNowait("c"), { code: "QUEUE_FULL", message: /the queue is full \(maxsize 2\)/ });
      await assert.rejects(q.put("c", { timeoutMs: 100 }), { code: "QUEUE_FULL" });
      assert.equal(await q.get({ timeoutMs: 10_000 }), "a");
      assert.equal(await q.full(), false);
      await q.putNowait("c");
      assert.deepEqual([await q.get(), await q.get()], ["b", "c"]);
    } finally {
      await close(onD);
    }
  });

  it("a blocking put on a full queue parks only its own call, and goes in once a get through the other instance makes room", async (t) => {
    const [c, d] = await pair("bounded_wait", "--queue-maxsize", "2");
    const fill = await queueOps(python!, c, "put=a", "put=b");
    assert.equal(fill.code, 0, fill.stderr);
    const putter = startPython(python!, [QUEUE_OPS, "127.0.0.1", c.port, "put_wait=c:30", "qsize"], WAIT_MS);
    t.after(() => putter.child.kill());
    assert.equal(await putter.line(), "waiting");
    const next = putter.line();
    const onC = await connect<DemoApi>(c.tcp, { logger: false });
    const onD = await connect<DemoApi>(d.tcp, { logger: false });
    try {
      // The same instance answers its other clients while the put waits.
      assert.equal(await within(Promise.resolve(onC.queue.size()), WAIT_MS, "size() while a put waits"), 2);
      assert.ok(await silentFor(next, 300), "the put waited while the queue was full");
      assert.equal(await onD.queue.get(10_000), "a");
      assert.equal(await next, "put c");
      assert.equal(await putter.line(), "qsize 2 False");
      const q = await onD.get_queue();
      assert.deepEqual([await q.get({ timeoutMs: 10_000 }), await q.get({ timeoutMs: 10_000 })], ["b", "c"]);
    } finally {
      await Promise.all([close(onC), close(onD)]);
    }
  });

  it("a TypeScript put waiting on one instance goes in when a Python get on the other makes room; a put that gave up leaves no item", async () => {
    const [c, d] = await pair("bounded_ts", "--queue-maxsize", "1");
    const onC = await connect<DemoApi>(c.tcp, { logger: false });
    try {
      const q = await onC.get_queue();
      await q.put("first");
      await assert.rejects(q.put("gave up", { timeoutMs: 200 }), { code: "QUEUE_FULL" });
      const waiting = q.put("second", { timeoutMs: 30_000 });
      const got = await queueOps(python!, d, "get=10", "get=10");
      assert.equal(got.stdout, "waiting\ngot first\nwaiting\ngot second\ndone\n", got.stderr);
      await waiting;
      assert.equal(await q.qsize(), 0);
    } finally {
      await close(onC);
    }
  });

  it("join() waits for every item put through either instance to be marked done, parking only its own call; task_done past that raises ValueError", async (t) => {
    const [e, f] = await pair("tasks");
    const put = await queueOps(python!, e, "put=x", "put=y");
    assert.equal(put.code, 0, put.stderr);
    const joiner = startPython(python!, [QUEUE_OPS, "127.0.0.1", f.port, "join"], WAIT_MS);
    t.after(() => joiner.child.kill());
    assert.equal(await joiner.line(), "joining");
    const joined = joiner.line();
    const onF = await connect<DemoApi>(f.tcp, { logger: false });
    try {
      const q = await onF.get_queue();
      assert.equal(await within(Promise.resolve(q.qsize()), WAIT_MS, "qsize() while a join waits"), 2);
      const one = await queueOps(python!, e, "get=10", "task_done");
      assert.equal(one.stdout, "waiting\ngot x\ntask_done\ndone\n", one.stderr);
      assert.ok(await silentFor(joined, 1_500), "join returned with one task unfinished");
      assert.equal(await q.get({ timeoutMs: 10_000 }), "y");
      await q.taskDone();
      assert.match(await joined, /^joined after \S+ s$/);
      await q.join();
      const extra = await queueOps(py27 ?? python!, e, "task_done", "join");
      assert.match(extra.stdout, /^task_done ValueError task_done\(\) called too many times\njoining\njoined after \S+ s\ndone\n$/, extra.stderr);
      await assert.rejects(q.taskDone(), { code: "ValueError", message: "task_done() called too many times" });
    } finally {
      await close(onF);
    }
  });

  it("40 task_done calls racing through both instances after 40 puts all count, and the 41st raises ValueError", async () => {
    const [e, f] = await pair("tasks_race");
    const onE = await connect<DemoApi>(e.tcp, { logger: false });
    const onF = await connect<DemoApi>(f.tcp, { logger: false });
    try {
      const [qe, qf] = await Promise.all([onE.get_queue(), onF.get_queue()]);
      for (let i = 0; i < 40; i++) await (i % 2 === 0 ? qe : qf).put(i);
      const joining = qe.join();
      const outcomes = await Promise.allSettled(Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? qe : qf).taskDone()));
      assert.deepEqual(outcomes.filter((o) => o.status === "rejected"), []);
      await within(joining, WAIT_MS, "join after 40 task_done");
      await assert.rejects(qf.taskDone(), { code: "ValueError" });
      assert.equal(await qe.qsize(), 40, "task_done takes no item");
    } finally {
      await Promise.all([close(onE), close(onF)]);
    }
  });

  it("over a nats:// service, get_queue() answers a reference in a session: its taskDone and join count with a Python client's on a manager port", async () => {
    const [e] = await pair("tasks_nats");
    const onNats = spawnNode(["dist/cli/main.js", "serve", "--listen", `${nats.url}/queue_svc`, "--store", `${nats.url}/tasks_nats`]);
    started.push({ process: onNats, tcp: "", port: "" });
    await onNats.nextLine(/^listening on nats:/, WAIT_MS);
    const remote = await connect<DemoApi>(`${nats.url}/queue_svc`, { logger: false });
    try {
      const q = await remote.get_queue();
      await q.put("over nats");
      const got = await queueOps(python!, e, "get=10", "task_done", "join");
      assert.match(got.stdout, /^waiting\ngot over nats\ntask_done\njoining\njoined after \S+ s\n/, got.stderr);
      await q.join();
      await assert.rejects(q.taskDone(), { code: "ValueError" });
    } finally {
      await close(remote);
    }
  });

  it("instances that disagree on the queue's maxsize are refused at start, naming it", async () => {
    await pair("agreed", "--queue-maxsize", "3");
    const other = startInstance(`${nats.url}/agreed`, "--queue-maxsize", "4");
    await assert.rejects(other, /same queue maxsize; this one asked 4/);
  });
});
