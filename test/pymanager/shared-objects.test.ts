/**
 * The shared objects on their own, as TypeScript sees them: Python's queue, lock, event and
 * container semantics, waits that end on timeout or abort, and the bounds they keep.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SharedDict, SharedEvent, SharedList, SharedLock, SharedQueue, SharedSemaphore, tuple } from "../../src/index.js";
import { MAX_SHARED_ITEMS } from "../../src/pymanager/shared/waiters.js";
import { within } from "../helpers/bounded.js";

describe("SharedQueue", () => {
  it("hands items out first in, first out, and an item put while a getter waits goes straight to it", async () => {
    const q = new SharedQueue<number>();
    const waiting = q.get();
    await q.put(1);
    assert.equal(await within(waiting, 1000, "the waiting get"), 1);
    assert.equal(q.qsize(), 0);
    await q.put(2);
    await q.put(3);
    assert.deepEqual([await q.get(), await q.get()], [2, 3]);
  });

  it("a get that finds nothing within timeoutMs rejects with QUEUE_EMPTY, and block: false at once", async () => {
    const q = new SharedQueue();
    await assert.rejects(q.get({ timeoutMs: 20 }), { code: "QUEUE_EMPTY" });
    await assert.rejects(q.get({ block: false }), { code: "QUEUE_EMPTY" });
  });

  it("putNowait and getNowait answer in the caller's turn: a waiting getter is handed the item, an empty or full queue throws", async () => {
    const q = new SharedQueue<string>({ maxsize: 1 });
    const waiting = q.get();
    q.putNowait("handed");
    assert.equal(q.qsize(), 0);
    assert.equal(await within(waiting, 1000, "the waiting get"), "handed");
    q.putNowait("kept");
    assert.throws(() => q.putNowait("extra"), { code: "QUEUE_FULL" });
    assert.equal(q.getNowait(), "kept");
    assert.throws(() => q.getNowait(), { code: "QUEUE_EMPTY" });
  });

  it("a bounded queue makes put wait for room; a get moves the waiting putter's item in, in order", async () => {
    const q = new SharedQueue<string>({ maxsize: 1 });
    await q.put("a");
    assert.equal(q.full(), true);
    await assert.rejects(q.put("x", { block: false }), { code: "QUEUE_FULL" });
    await assert.rejects(q.put("x", { timeoutMs: 10 }), { code: "QUEUE_FULL" });
    const putting = q.put("b");
    assert.equal(await q.get(), "a");
    await within(putting, 1000, "the waiting put");
    assert.deepEqual(q.snapshot(), ["b"]);
  });

  it("a getter whose signal aborts leaves the line and is never handed an item", async () => {
    const q = new SharedQueue<number>();
    const controller = new AbortController();
    const gone = q.get({ signal: controller.signal });
    controller.abort(new Error("caller left"));
    await assert.rejects(gone, /caller left/);
    await q.put(7);
    assert.equal(q.qsize(), 1, "the item stayed in the queue");
  });

  it("join waits until every item is marked done, and task_done past that is a ValueError", async () => {
    const q = new SharedQueue();
    await q.put("job");
    let joined = false;
    const joining = q.join().then(() => (joined = true));
    await q.get();
    assert.equal(joined, false);
    q.taskDone();
    await within(joining, 1000, "join");
    assert.throws(() => q.taskDone(), { code: "ValueError" });
  });

  it("refuses bad options with INVALID_PARAMS naming them", async () => {
    const q = new SharedQueue();
    await assert.rejects(q.get({ timeoutMs: -1 }), { code: "INVALID_PARAMS", message: /timeoutMs must be a non-negative/ });
    await assert.rejects(q.get(null as never), { code: "INVALID_PARAMS", message: /options must be an object/ });
  });
});

describe("SharedLock, SharedSemaphore, SharedEvent", () => {
  it("a lock is handed to the first waiter on release; a timed-out waiter answers false", async () => {
    const lock = new SharedLock();
    assert.equal(await lock.acquire(), true);
    assert.equal(await lock.acquire({ block: false }), false);
    assert.equal(await lock.acquire({ timeoutMs: 10 }), false);
    const next = lock.acquire();
    lock.release();
    assert.equal(await within(next, 1000, "the waiting acquire"), true);
    assert.equal(lock.locked(), true);
    lock.release();
    assert.throws(() => lock.release(), { code: "RuntimeError", message: "release unlocked lock" });
  });

  it("a reentrant lock counts its owner's acquisitions", async () => {
    const lock = new SharedLock({ reentrant: true });
    await lock.acquire();
    assert.equal(await lock.acquire({ block: false }), true);
    lock.release();
    assert.equal(lock.locked(), true);
    lock.release();
    assert.equal(lock.locked(), false);
  });

  it("a bounded semaphore refuses a release past its initial value", async () => {
    const s = new SharedSemaphore({ value: 1, bounded: true });
    assert.equal(await s.acquire(), true);
    assert.equal(await s.acquire({ block: false }), false);
    s.release();
    assert.throws(() => s.release(), { code: "ValueError" });
  });

  it("an event wakes every waiter when set", async () => {
    const e = new SharedEvent();
    assert.equal(await e.wait({ timeoutMs: 5 }), false);
    const waits = [e.wait(), e.wait()];
    e.set();
    assert.deepEqual(await within(Promise.all(waits), 1000, "the waits"), [true, true]);
  });
});

describe("SharedDict and SharedList", () => {
  it("dict keys follow Python's equality: 1, 1.0 and true are one key, equal tuples are one key, a list is unhashable", () => {
    const d = new SharedDict();
    d.set(1, "one");
    d.set(true, "true");
    d.set(tuple(1, "x"), "tuple");
    assert.equal(d.size(), 2);
    assert.equal(d.get(1.0), "true");
    assert.equal(d.get(tuple(1, "x")), "tuple");
    assert.deepEqual(d.keys(), [1, tuple(1, "x")]);
    assert.throws(() => d.set([1] as never, 0), { code: "TypeError", message: "unhashable type: 'list'" });
  });

  it("a list refuses indexes out of range with IndexError and growth past the bound with RESOURCE_EXHAUSTED", () => {
    const l = new SharedList([1, 2]);
    assert.equal(l.at(-1), 2);
    assert.throws(() => l.at(2), { code: "IndexError" });
    assert.throws(() => new SharedList(new Array(MAX_SHARED_ITEMS + 1).fill(0)), { code: "RESOURCE_EXHAUSTED" });
  });
});
