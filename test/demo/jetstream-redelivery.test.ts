/**
 * What a real nats-server does with a work-queue item whose delivery outlived the ack wait
 * and was delivered again: the behaviour the demo queue's getters are built on
 * (src/demo/queue-nats-take.ts). An acknowledgement cannot tell its getter whether it took
 * the item; deleting the item's stream sequence can, and counts for the consumer as its
 * acknowledgement.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AckPolicy, DiscardPolicy, jetstream, jetstreamManager, RetentionPolicy, type JetStreamManager, type JsMsg } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { natsForSuite, natsServerMissing } from "../helpers/nats.js";

const skip = natsServerMissing("JetStream redelivery experiments");
/** A short ack wait keeps the experiments quick; the demo's is 5 s. */
const ACK_WAIT_MS = 1_000;

interface Redelivered {
  jsm: JetStreamManager;
  /** The item's first delivery, outlived by the ack wait, and its second. */
  first: JsMsg;
  second: JsMsg;
  /** The next delivery. */
  next: () => Promise<JsMsg>;
}

/** A work-queue stream `name` holding one item "x", delivered, left past the ack wait, and delivered again. */
async function redelivered(nc: NatsConnection, name: string): Promise<Redelivered> {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name, subjects: [name], retention: RetentionPolicy.Workqueue, discard: DiscardPolicy.New });
  await jsm.consumers.add(name, { durable_name: "getters", ack_policy: AckPolicy.Explicit, ack_wait: ACK_WAIT_MS * 1_000_000 });
  const js = jetstream(nc);
  await js.publish(name, "x");
  const consumer = await js.consumers.get(name, "getters");
  const next = async (): Promise<JsMsg> => {
    const msg = await consumer.next({ expires: ACK_WAIT_MS * 5 });
    assert.ok(msg !== null, "a delivery came");
    return msg;
  };
  const first = await next();
  await pause(ACK_WAIT_MS + 200);
  return { jsm, first, second: await next(), next };
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe("JetStream work-queue redelivery, on a real nats-server", { skip }, () => {
  const nats = natsForSuite({});

  it("an acknowledgement of a delivery that outlived the ack wait is answered as the live one's is, so both getters of a redelivered item would believe it theirs", async () => {
    const nc = await connect({ servers: nats.url });
    try {
      const { jsm, first, second } = await redelivered(nc, "stale_ack");
      assert.equal(second.info.streamSequence, first.info.streamSequence);
      assert.equal(second.info.deliveryCount, 2);
      // nats-server 2.9 answers both: the stale one removes the item the second getter holds.
      assert.equal(await first.ackAck(), true, "the stale acknowledgement is answered as taken");
      assert.equal((await jsm.streams.info("stale_ack")).state.messages, 0, "the stale acknowledgement removed the item");
      assert.equal(await second.ackAck(), true, "the live acknowledgement is answered as taken too");
    } finally {
      await nc.close();
    }
  });

  it("deleting a delivered item's stream sequence succeeds for one getter only, and counts as the consumer's acknowledgement: no redelivery after the ack wait", async () => {
    const nc = await connect({ servers: nats.url });
    try {
      const { jsm, first, second, next } = await redelivered(nc, "delete_once");
      const seq = second.info.streamSequence;
      assert.equal(await jsm.streams.deleteMessage("delete_once", seq, false), true, "the first delete takes the item");
      await assert.rejects(jsm.streams.deleteMessage("delete_once", first.info.streamSequence, false), /no message found/i, "a second delete is refused");
      const info = await jsm.consumers.info("delete_once", "getters");
      assert.equal(info.num_ack_pending, 0, "the consumer no longer waits for an acknowledgement");
      await jsm.streams.info("delete_once").then((s) => assert.equal(s.state.messages, 0));
      const js = jetstream(nc);
      await js.publish("delete_once", "y");
      await pause(ACK_WAIT_MS + 200);
      const after = await next();
      assert.equal(after.string(), "y", "the deleted item is never delivered again");
      assert.equal(after.info.deliveryCount, 1);
    } finally {
      await nc.close();
    }
  });
});
