/**
 * The demo's queue shared through NATS when an instance dies or a put waits: what qsize
 * counts, what get_nowait then does, and how soon a waiting put on one instance goes in
 * after a get on another. Real nats-server, two instances.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { close, connect } from "../../src/index.js";
import { ACK_WAIT_MS } from "../../src/demo/queue-nats.js";
import type { DemoApi } from "../../src/demo/service.js";
import { startInstance, WAIT_MS, type Instance } from "../helpers/demo-queue.js";
import { natsServerMissing, startNatsServer, type NatsServer } from "../helpers/nats.js";
import { startNatsRelay, type NatsRelay } from "../helpers/nats-relay.js";
import { within } from "../helpers/bounded.js";

const skip = natsServerMissing("NATS-shared demo queue tests");

describe("the demo's queue shared through NATS, across instances", { skip }, () => {
  let nats: NatsServer;
  let relay: NatsRelay;
  const started: Instance[] = [];

  before(async () => {
    nats = await startNatsServer();
    relay = await startNatsRelay(nats.url);
  });

  after(async () => {
    await Promise.all(started.map((i) => i.process.stop()));
    await relay?.close();
    await nats?.stop();
  });

  /** One instance reaching NATS through the relay (which the test can cut), one directly. */
  async function pair(bucket: string, ...extra: string[]): Promise<[Instance, Instance]> {
    const both = await Promise.all([startInstance(`${relay.url}/${bucket}`, ...extra), startInstance(`${nats.url}/${bucket}`, ...extra)]);
    started.push(...both);
    return both;
  }

  it("an item delivered to an instance that died before confirming it: qsize counts it, and get_nowait on the other instance waits for it (within the ack wait) instead of raising Empty", async () => {
    const [a, b] = await pair("held");
    const onA = await connect<DemoApi>(a.tcp, { logger: false });
    const onB = await connect<DemoApi>(b.tcp, { logger: false });
    try {
      const [qa, qb] = await Promise.all([onA.get_queue(), onB.get_queue()]);
      const delivered = relay.muteAfterDelivery("$JS.ACK.held_queue.");
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
    } finally {
      await Promise.all([close(onA).catch(() => undefined), close(onB)]);
    }
  });
});
