/**
 * The demo's queue shared through NATS when an instance dies or a put waits: what qsize
 * counts, what get_nowait then does, and how soon a waiting put on one instance goes in
 * after a get on another. Real nats-server, two instances.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { close, connect } from "../../src/index.js";
import { ACK_WAIT_MS } from "../../src/demo/queue-nats.js";
import type { DemoApi } from "../../src/demo/service.js";
import { relayedNats, WAIT_MS } from "../helpers/demo-queue.js";
import { natsServerMissing } from "../helpers/nats.js";
import { within } from "../helpers/bounded.js";
import { watchLateness } from "../helpers/lateness.js";

/** How soon after a get's confirmation a put waiting on another instance must be in (plus this process's measured lateness). */
const PROMPT_MS = 400;

const skip = natsServerMissing("NATS-shared demo queue tests");

describe("the demo's queue shared through NATS, across instances", { skip }, () => {
  const nats = relayedNats();

  it("an item delivered to an instance that died before confirming it: qsize counts it, and get_nowait on the other instance waits for it (within the ack wait) instead of raising Empty", async (t) => {
    const { a, qa, qb } = await nats.pair(t, "held");
    const delivered = nats.relay.muteAfterDelivery("$JS.ACK.held_queue.");
    void Promise.resolve(qa.get({ timeoutMs: WAIT_MS })).catch(() => undefined);
    await qb.put("x");
    await within(delivered, WAIT_MS, "the item's delivery to the first instance");
    await a.process.kill();
    const died = Date.now();
    assert.equal(await qb.qsize(), 1, "the item the dead instance held still counts");
    assert.equal(await qb.getNowait(), "x");
    const waited = Date.now() - died;
    assert.ok(waited < ACK_WAIT_MS + 5_000, `get_nowait took ${waited} ms`);
    assert.equal(await qb.qsize(), 0);
    await assert.rejects(qb.getNowait(), { code: "QUEUE_EMPTY" });
  });

  it("a put waiting on a full queue goes in promptly when a get on another instance confirms, even when that instance is cut off right after its confirmation", async () => {
    const rounds = 3;
    const putter = await nats.instance(false, "room", "--queue-maxsize", "1");
    const getters = await Promise.all(Array.from({ length: rounds }, () => nats.instance(true, "room", "--queue-maxsize", "1")));
    const onPutter = await connect<DemoApi>(putter.tcp, { logger: false });
    const lateness = watchLateness();
    try {
      const q = await onPutter.get_queue();
      await q.put(0);
      const lags: number[] = [];
      for (let round = 0; round < rounds; round++) {
        let inAt = 0;
        const waiting = Promise.resolve(q.put(round + 1, { timeoutMs: WAIT_MS })).then(() => {
          inAt = Date.now();
        });
        const onGetter = await connect<DemoApi>(getters[round]!.tcp, { logger: false });
        try {
          const qg = await onGetter.get_queue();
          await new Promise((resolve) => setTimeout(resolve, 200));
          assert.equal(inAt, 0, "the put waited while the queue was full");
          const confirmed = nats.relay.muteAfterPublish("$JS.API.STREAM.MSG.DELETE.room_queue");
          assert.equal(await qg.get({ timeoutMs: WAIT_MS }), round);
          const confirmedAt = await confirmed;
          await within(waiting, WAIT_MS, "the waiting put");
          lags.push(inAt - confirmedAt);
        } finally {
          await close(onGetter).catch(() => undefined);
        }
      }
      const bound = PROMPT_MS + lateness.maxMs();
      assert.ok(lags.every((lag) => lag < bound), `puts went in ${lags.join(", ")} ms after the confirmations (bound ${bound} ms)`);
      assert.equal(await q.get({ timeoutMs: WAIT_MS }), rounds);
    } finally {
      lateness.stop();
      await close(onPutter);
    }
  });

  it("a get whose take (the delete of its item) has its answer lost still answers its item, and the item is got once", async (t) => {
    const { qa, qb } = await nats.pair(t, "lost_ack");
    await qb.put("x");
    await qb.put("y");
    const dropped = nats.relay.dropAnswerTo("$JS.API.STREAM.MSG.DELETE.lost_ack_queue");
    assert.equal(await within(Promise.resolve(qa.get({ timeoutMs: WAIT_MS })), WAIT_MS, "the get whose answer was lost"), "x");
    await within(dropped, 1_000, "the relay dropping the delete's answer");
    assert.equal(await qb.get({ timeoutMs: WAIT_MS }), "y");
    await new Promise((resolve) => setTimeout(resolve, ACK_WAIT_MS + 1_000));
    assert.equal(await qb.qsize(), 0, "the item came back after the ack wait");
    await assert.rejects(qb.getNowait(), { code: "QUEUE_EMPTY" });
  });
});
