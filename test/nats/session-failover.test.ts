/**
 * Sessions over NATS whose instance goes away: killed (kill -9) or closed with a drain. The
 * session ends UNAVAILABLE, never hangs, and the client opens a new one on a survivor.
 * Real nats-server, real instance processes.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { close, connect } from "../../src/index.js";
import { rejectsWith, within } from "../helpers/bounded.js";
import { natsForSuite, natsServerMissing } from "../helpers/nats.js";
import { startSessionInstances, type SessionApi } from "../fixtures/nats/session-instances.js";

const skip = natsServerMissing("NATS session failover tests");
const WAIT_MS = 20_000;
/** Session keepalive of both ends in these tests, ms. */
const KEEPALIVE_MS = 300;
/** The bound on how long a session outlives its instance here: a few keepalive rounds, and a loaded machine. */
const GONE_WITHIN_MS = 10_000;

describe("sessions over NATS when their instance goes away", { skip: skip !== undefined }, () => {
  const nats = natsForSuite();
  const started = nats.started;

  it("kill -9 of the pinned instance: pending calls, references and streams reject UNAVAILABLE, and a new session opens on a survivor", async () => {
    const service = `${nats.url}/killed`;
    const instances = await startSessionInstances(service, 2, KEEPALIVE_MS);
    started.push(...instances);
    const remote = await connect<SessionApi>(service, { logger: false, nats: { sessionKeepaliveMs: KEEPALIVE_MS } });
    try {
      const { pid } = await within(remote.callMeBack(async (p) => p), WAIT_MS, "open the session");
      const pinned = instances.find((p) => p.pid === pid)!;
      const counter = await remote.open();
      assert.deepEqual(await counter.inc(), { pid, n: 1 });
      const stream = (await remote.count(1_000_000))[Symbol.asyncIterator]();
      assert.deepEqual(await stream.next(), { value: 0, done: false });
      const pending = remote.slow(60_000);
      pending.catch(() => {});

      await pinned.kill("SIGKILL");

      await rejectsWith(pending, "UNAVAILABLE", GONE_WITHIN_MS, "a call pending on the killed instance");
      await rejectsWith(counter.inc(), "UNAVAILABLE", GONE_WITHIN_MS, "a reference to an object on the killed instance");
      const drained = (async () => {
        for (;;) if ((await stream.next()).done) return "ended without an error";
      })();
      await rejectsWith(drained, "UNAVAILABLE", GONE_WITHIN_MS, "a stream from the killed instance");

      const survivor = instances.find((p) => p !== pinned)!;
      const again = await within(remote.callMeBack(async (p) => p), WAIT_MS, "a new session");
      assert.deepEqual(again, { pid: survivor.pid, calledBack: survivor.pid });
      assert.deepEqual(await (await remote.open()).inc(), { pid: survivor.pid, n: 1 });
    } finally {
      await close(remote);
      await Promise.all(instances.map((p) => p.stop()));
    }
  });

  it("a frozen instance (SIGSTOP: its NATS subscription stays, nothing answers): the keepalive ends the session UNAVAILABLE", async () => {
    const service = `${nats.url}/frozen`;
    const instances = await startSessionInstances(service, 1, KEEPALIVE_MS);
    started.push(...instances);
    const remote = await connect<SessionApi>(service, { logger: false, nats: { sessionKeepaliveMs: KEEPALIVE_MS } });
    try {
      await within(remote.callMeBack(async (p) => p), WAIT_MS, "open the session");
      const counter = await remote.open();
      assert.equal((await counter.inc()).n, 1);
      const pending = remote.slow(60_000);
      pending.catch(() => {});
      instances[0]!.child.kill("SIGSTOP");
      // NATS still routes to the stopped process, so no no-responders status comes: only the ping can tell.
      const err = await rejectsWith(pending, "UNAVAILABLE", GONE_WITHIN_MS, "a call pending on the frozen instance");
      assert.match(err.message, /keepalive ping within \d+ ms \(nats.sessionKeepaliveMs\)/);
      await rejectsWith(counter.inc(), "UNAVAILABLE", GONE_WITHIN_MS, "a reference to an object on the frozen instance");
    } finally {
      await close(remote);
      await Promise.all(instances.map((p) => p.stop()));
    }
  });

  it("closing the pinned instance drains its session: the call in flight finishes, new calls go to another instance, then its references end UNAVAILABLE", async () => {
    const service = `${nats.url}/drained`;
    const instances = await startSessionInstances(service, 2, KEEPALIVE_MS);
    started.push(...instances);
    const remote = await connect<SessionApi>(service, { logger: false, nats: { sessionKeepaliveMs: KEEPALIVE_MS } });
    try {
      const { pid } = await within(remote.callMeBack(async (p) => p), WAIT_MS, "open the session");
      const pinned = instances.find((p) => p.pid === pid)!;
      const survivor = instances.find((p) => p !== pinned)!;
      const counter = await remote.open();
      const inFlight = remote.slow(1_000);
      await new Promise((resolve) => setTimeout(resolve, 100));

      pinned.child.kill("SIGTERM");

      assert.equal(await within(inFlight, WAIT_MS, "the call in flight during the drain"), pid);
      const elsewhere = await within(remote.callMeBack(async (p) => p), WAIT_MS, "a call during the drain");
      assert.equal(elsewhere.pid, survivor.pid);
      await pinned.nextLine(/^closed/, WAIT_MS);
      await rejectsWith(counter.inc(), "UNAVAILABLE", GONE_WITHIN_MS, "a reference to an object on the closed instance");
      assert.equal(await remote.whoami(), survivor.pid);
    } finally {
      await close(remote);
      await Promise.all(instances.map((p) => p.stop()));
    }
  });
});
