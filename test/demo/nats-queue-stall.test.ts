/**
 * The demo's queue shared through NATS hands each item to one getter however long that
 * getter stands still between JetStream's delivery and its take: past the ack wait the item
 * goes to a getter on another instance, and the first, when it moves again, does not hand it
 * out too. Real nats-server, two instances; the first's delivery held by the relay, or the
 * whole process stopped (SIGSTOP), for longer than the ack wait.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ACK_WAIT_MS } from "../../src/demo/queue-nats.js";
import { relayedNats, WAIT_MS, type RelayedPair } from "../helpers/demo-queue.js";
import { natsServerMissing } from "../helpers/nats.js";
import { within } from "../helpers/bounded.js";

const skip = natsServerMissing("NATS-shared demo queue stall tests");

/**
 * Puts "x", lets the first instance's getter receive it and stand still (`stall`) until the
 * second instance's getter has it, then puts "y": the first getter must answer "y", and the
 * queue ends empty.
 */
async function onceAcrossStall({ qa, qb }: RelayedPair, held: Promise<void>, stall: () => void, resume: () => void): Promise<void> {
  const first = Promise.resolve(qa.get({ timeoutMs: WAIT_MS }));
  first.catch(() => undefined);
  await qb.put("x");
  await within(held, WAIT_MS, "the item's delivery to the first instance");
  stall();
  const stalledAt = Date.now();
  try {
    assert.equal(await qb.get({ timeoutMs: WAIT_MS }), "x", "the second getter gets the item once the ack wait passed");
    assert.ok(Date.now() - stalledAt >= ACK_WAIT_MS - 1_000, "the item waited out the first getter's ack wait");
  } finally {
    resume();
  }
  await qb.put("y");
  assert.equal(await within(first, WAIT_MS, "the first getter"), "y", "the first getter does not hand out the item the second got");
  assert.equal(await qb.qsize(), 0);
  await assert.rejects(qb.getNowait(), { code: "QUEUE_EMPTY" });
}

describe("the demo's queue shared through NATS, a getter standing still past the ack wait", { skip }, () => {
  const nats = relayedNats();

  it("a delivery that reaches its getter only after the ack wait: the item is got once, by the other instance's getter, and nothing is lost", async (t) => {
    const pair = await nats.pair(t, "late");
    const hold = nats.relay.holdDelivery("$JS.ACK.late_queue.");
    await onceAcrossStall(pair, hold.held, () => undefined, () => hold.release());
  });

  it("an instance stopped (SIGSTOP) holding a delivery past the ack wait: the item is got once, by the other instance's getter, and nothing is lost", async (t) => {
    const pair = await nats.pair(t, "stopped");
    const pid = pair.a.process.pid;
    const hold = nats.relay.holdDelivery("$JS.ACK.stopped_queue.");
    await onceAcrossStall(pair, hold.held, () => {
      process.kill(pid, "SIGSTOP");
      // The delivery lands in the stopped process's socket, read only when it moves again.
      hold.release();
    }, () => process.kill(pid, "SIGCONT"));
  });
});
