/**
 * Puts waiting on the demo's full queue shared through NATS go in first come, first served
 * across instances (as Python's Queue serves waiting puts in order), and a waiting put whose
 * instance died holds nobody back. Real nats-server, two instances, maxsize 1.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { lineHolds as holds, relayedNats, WAIT_MS } from "../helpers/demo-queue.js";
import { natsServerMissing } from "../helpers/nats.js";
import { within } from "../helpers/bounded.js";

const skip = natsServerMissing("NATS-shared demo queue line tests");

describe("the demo's queue shared through NATS, puts waiting on a full queue across instances", { skip }, () => {
  const nats = relayedNats();

  const lineHolds = (bucket: string, count: number): Promise<void> => holds(nats.url, bucket, count);

  it("six puts waiting in turn on two instances go in in the order they began waiting, whichever instance gets", async (t) => {
    const { qa, qb } = await nats.pair(t, "fcfs", "--queue-maxsize", "1");
    await qa.put(0);
    const puts: Promise<unknown>[] = [];
    for (let i = 1; i <= 6; i++) {
      const put = Promise.resolve((i % 2 === 1 ? qa : qb).put(i, { timeoutMs: WAIT_MS }));
      put.catch(() => undefined);
      puts.push(put);
      await lineHolds("fcfs", i);
    }
    const got: unknown[] = [];
    for (let i = 0; i <= 6; i++) got.push(await (i % 2 === 0 ? qb : qa).get({ timeoutMs: WAIT_MS }));
    assert.deepEqual(got, [0, 1, 2, 3, 4, 5, 6]);
    await within(Promise.all(puts), WAIT_MS, "the waiting puts");
    await lineHolds("fcfs", 0);
  });

  it("a put first in line whose instance died holds nobody back: the next waiting put goes in at the next get", async (t) => {
    const { a, qa, qb } = await nats.pair(t, "dead_head", "--queue-maxsize", "1");
    await qb.put(0);
    void Promise.resolve(qa.put("lost with its instance", { timeoutMs: WAIT_MS })).catch(() => undefined);
    await lineHolds("dead_head", 1);
    const waiting = Promise.resolve(qb.put("next", { timeoutMs: WAIT_MS }));
    waiting.catch(() => undefined);
    await lineHolds("dead_head", 2);
    await a.process.kill();
    assert.equal(await qb.get({ timeoutMs: WAIT_MS }), 0);
    const gotAt = Date.now();
    await within(waiting, WAIT_MS, "the put behind the dead instance's");
    const lag = Date.now() - gotAt;
    assert.ok(lag < 3_000, `the put went in ${lag} ms after the get`);
    assert.equal(await qb.get({ timeoutMs: WAIT_MS }), "next");
    await lineHolds("dead_head", 0);
  });

  it("a put first in line whose instance stands still (SIGSTOP) holds the next waiting put back at most about a second, and goes in itself once its instance moves again", async (t) => {
    const { a, qa, qb } = await nats.pair(t, "stalled_head", "--queue-maxsize", "1");
    await qb.put(0);
    const stalled = Promise.resolve(qa.put("stalled", { timeoutMs: WAIT_MS }));
    stalled.catch(() => undefined);
    await lineHolds("stalled_head", 1);
    const waiting = Promise.resolve(qb.put("next", { timeoutMs: WAIT_MS }));
    waiting.catch(() => undefined);
    await lineHolds("stalled_head", 2);
    process.kill(a.process.pid, "SIGSTOP");
    try {
      assert.equal(await qb.get({ timeoutMs: WAIT_MS }), 0);
      const gotAt = Date.now();
      await within(waiting, WAIT_MS, "the put behind the stalled instance's");
      const lag = Date.now() - gotAt;
      assert.ok(lag < 4_000, `the put went in ${lag} ms after the get`);
    } finally {
      process.kill(a.process.pid, "SIGCONT");
    }
    assert.equal(await qb.get({ timeoutMs: WAIT_MS }), "next");
    assert.equal(await qb.get({ timeoutMs: WAIT_MS }), "stalled");
    await within(stalled, WAIT_MS, "the stalled instance's put");
    await lineHolds("stalled_head", 0);
  });
});
