/**
 * The demo's writes to a NATS store (`task_done()`, `counter.inc`, a queue's put) are applied
 * exactly once whatever the network loses and however many instances race: a write whose answer
 * was lost is not counted twice, and a storm of racing writers all land within the time
 * bound instead of failing after a fixed number of rounds. Real nats-server, two instances,
 * one of them reaching NATS through a relay that can lose an answer.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { relayedNats, WAIT_MS } from "../helpers/demo-queue.js";
import { natsServerMissing } from "../helpers/nats.js";
import { within } from "../helpers/bounded.js";

/** Racing task_done calls: enough that the last of them loses far more than 200 rounds. */
const STORM = 800;
const skip = natsServerMissing("NATS store exactly-once tests");

describe("counted writes to the demo's NATS store, exactly once", { skip }, () => {
  const nats = relayedNats();

  it("a task_done() whose write's answer is lost is counted once: it succeeds, one more task_done finishes the two items, a third raises ValueError", async (t) => {
    const { qa, qb } = await nats.pair(t, "lost_done");
    await qb.put("x");
    await qb.put("y");
    const dropped = nats.relay.dropAnswerTo("$KV.lost_done.q.done");
    await within(Promise.resolve(qa.taskDone()), WAIT_MS, "task_done whose answer was lost");
    await within(dropped, 1_000, "the relay dropping the write's answer");
    const joining = qa.join();
    await qb.taskDone();
    await within(Promise.resolve(joining), WAIT_MS, "join after the second task_done");
    await assert.rejects(qb.taskDone(), { code: "ValueError", message: "task_done() called too many times" });
  });

  it("a queue put whose answer is lost stores its item once", async (t) => {
    const { qa, qb } = await nats.pair(t, "lost_put");
    const dropped = nats.relay.dropAnswerTo("farcall.lost_put.queue");
    await within(Promise.resolve(qa.put("once")), WAIT_MS, "put whose answer was lost");
    await within(dropped, 1_000, "the relay dropping the put's answer");
    assert.equal(await qb.qsize(), 1);
    assert.equal(await qb.get({ timeoutMs: WAIT_MS }), "once");
    await assert.rejects(qb.getNowait(), { code: "QUEUE_EMPTY" });
  });

  it("a counter.inc whose write's answer is lost adds 1, not 2", async (t) => {
    const { onA, onB } = await nats.pair(t, "lost_inc");
    assert.equal(await onB.counter.inc("n"), 1);
    const dropped = nats.relay.dropAnswerTo("$KV.lost_inc.c.bg");
    assert.equal(await within(Promise.resolve(onA.counter.inc("n")), WAIT_MS, "inc whose answer was lost"), 2);
    await within(dropped, 1_000, "the relay dropping the write's answer");
    assert.equal(await onB.counter.get("n"), 2);
  });

  it(`${STORM} task_done() calls racing through both instances after as many puts all count, and one more raises ValueError`, async (t) => {
    const { qa, qb } = await nats.pair(t, "storm");
    for (let i = 0; i < STORM; i++) await (i % 2 === 0 ? qa : qb).put(i);
    const outcomes = await Promise.allSettled(Array.from({ length: STORM }, (_, i) => (i % 2 === 0 ? qa : qb).taskDone()));
    assert.deepEqual(outcomes.filter((o) => o.status === "rejected"), []);
    await within(Promise.resolve(qa.join()), WAIT_MS, "join after the storm");
    await assert.rejects(qb.taskDone(), { code: "ValueError" });
  });
});
