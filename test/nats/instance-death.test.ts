/**
 * A one-shot call whose NATS instance dies, stops or is cut off settles within the
 * heartbeat bound (2.5 × nats.heartbeatMs of the last sign of life), not at its deadline:
 * UNAVAILABLE, or answered by another instance when its method is idempotent. Real
 * nats-server, real instance processes; each bound is asserted with a margin for a loaded
 * machine, far below the 30 s deadline the calls would otherwise wait for.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { batchSettled, close, connect, NATS_DEFAULTS, RpcError, type Remote } from "../../src/index.js";
import { rejectsWith, within } from "../helpers/bounded.js";
import { watchLateness } from "../helpers/lateness.js";
import { natsForSuite, natsServerMissing, startInstances, startNatsServer } from "../helpers/nats.js";
import type { TestProcess } from "../helpers/processes.js";

const skip = natsServerMissing("NATS instance death tests");
type Api = { whoami(): number; slow(ms: number): number; slowIdempotent(ms: number): number; record(): number; applied(): number };

/** The stated bound with the default heartbeat, and the margin a shared machine gets on top (plus the timer lateness measured during the wait). */
const BOUND_MS = 2.5 * NATS_DEFAULTS.heartbeatMs;
const MARGIN_MS = 2_500;
/** Far longer than the bound: a call that waited for it would show. */
const SLOW_MS = 20_000;
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** How long after `since` each of `calls` settled, and how. */
async function settled(calls: Promise<unknown>[], since: () => number): Promise<{ ms: number; code: string }[]> {
  return Promise.all(
    calls.map((c) =>
      within(c, SLOW_MS + 10_000, "a call on a lost instance").then(
        () => ({ ms: Date.now() - since(), code: "OK" }),
        (err: unknown) => ({ ms: Date.now() - since(), code: RpcError.is(err) ? String(err.code) : String(err) }),
      ),
    ),
  );
}

/**
 * Four slow calls in flight on the one instance of `service`, then `fault` strikes: every
 * call must reject UNAVAILABLE within the bound after it. Resolves with the client for more
 * checks (the caller closes it).
 */
async function faultMidCall(service: string, what: string, fault: () => Promise<void> | void): Promise<Remote<Api>> {
  const remote = await connect<Api>(service, { logger: false });
  await remote.whoami();
  const calls = Array.from({ length: 4 }, () => remote.slow(SLOW_MS));
  await pause(300);
  const struck = Date.now();
  const lateness = watchLateness();
  await fault();
  const results = await settled(calls, () => struck);
  lateness.stop();
  for (const r of results) {
    assert.equal(r.code, "UNAVAILABLE");
    assert.ok(r.ms < BOUND_MS + MARGIN_MS + lateness.maxMs(), `settled ${r.ms} ms after ${what}; bound ${BOUND_MS} ms + ${MARGIN_MS} ms margin + ${lateness.maxMs()} ms timer lateness`);
  }
  return remote;
}

describe("a NATS call whose instance is lost settles within the heartbeat bound", { skip: skip !== undefined }, () => {
  const nats = natsForSuite();
  const started = nats.started;
  /** One instance of `service`, stopped with the suite. */
  async function oneInstance(service: string): Promise<TestProcess> {
    const [instance] = await startInstances(service, 1);
    started.push(instance!);
    return instance!;
  }

  it("a slow call keeps its instance's heartbeats coming: it is answered, not given up, after many bounds", async () => {
    const service = `${nats.url}/patient`;
    await oneInstance(service);
    const remote = await connect<Api>(service, { logger: false });
    try {
      const ms = 3 * BOUND_MS;
      assert.equal(typeof (await within(remote.slow(ms), ms + 10_000, "a slow call")), "number");
    } finally {
      await close(remote);
    }
  });

  it("instance SIGSTOPped with a batch in flight: each of its calls rejects UNAVAILABLE within the bound", async () => {
    const service = `${nats.url}/stopped-batch`;
    const instance = await oneInstance(service);
    const remote = await connect<Api>(service, { logger: false });
    try {
      await remote.whoami();
      const pending = batchSettled(remote, (r) => [r.slow(SLOW_MS), r.slow(SLOW_MS), r.whoami()]);
      await pause(300);
      const stoppedAt = Date.now();
      const lateness = watchLateness();
      instance.child.kill("SIGSTOP");
      const results = await within(pending, SLOW_MS, "the batch");
      const ms = Date.now() - stoppedAt;
      lateness.stop();
      assert.deepEqual(results.map((r) => (r.status === "rejected" && RpcError.is(r.reason) ? r.reason.code : r.status)), ["UNAVAILABLE", "UNAVAILABLE", "UNAVAILABLE"]);
      assert.ok(ms < BOUND_MS + MARGIN_MS + lateness.maxMs(), `settled ${ms} ms after SIGSTOP; bound ${BOUND_MS} ms + ${MARGIN_MS} ms margin + ${lateness.maxMs()} ms timer lateness`);
    } finally {
      instance.child.kill("SIGCONT");
      await close(remote);
    }
  });

  it("a closed client stops watching: its calls end UNAVAILABLE at once, not at the bound", async () => {
    const service = `${nats.url}/closed-client`;
    await oneInstance(service);
    const remote = await connect<Api>(service, { logger: false });
    await remote.whoami();
    const pending = remote.slow(SLOW_MS);
    await close(remote);
    const err = await rejectsWith(pending, "UNAVAILABLE", 2_000, "a call of a closed client");
    assert.match(err.message, /closed/);
  });

  it("instance SIGKILLed mid-call: calls to an idempotent method are sent again and answered by the other instance", async () => {
    const service = `${nats.url}/killed-idempotent`;
    const instances = await startInstances(service, 2);
    started.push(...instances);
    // One attempt timer per call would also resend them; here only the silence may.
    const remote = await connect<Api>(service, { logger: false, nats: { attemptTimeoutMs: 60_000 } });
    try {
      await remote.whoami();
      const work = 1_500;
      const calls = Array.from({ length: 8 }, () => remote.slowIdempotent(work));
      await pause(300);
      const victim = instances[0]!;
      const killedAt = Date.now();
      await victim.kill("SIGKILL");
      const survivor = instances[1]!.pid;
      for (const c of calls) assert.equal(await within(c, BOUND_MS + work + MARGIN_MS + 5_000, "an idempotent call"), survivor);
      assert.ok(Date.now() - killedAt < BOUND_MS + work + MARGIN_MS, `all answered ${Date.now() - killedAt} ms after the kill`);
    } finally {
      await close(remote);
    }
  });

  it("a stopped instance that continues runs none of the calls its callers were told failed", async () => {
    const service = `${nats.url}/resumed`;
    const instance = await oneInstance(service);
    const remote = await connect<Api>(service, { logger: false });
    try {
      assert.equal(await remote.record(), 1);
      instance.child.kill("SIGSTOP");
      // Sent while it stands still: they wait in its socket, and their callers give up.
      const told = await settled(Array.from({ length: 10 }, () => remote.record()), Date.now);
      assert.deepEqual(told.map((r) => r.code), Array(10).fill("UNAVAILABLE"));
      instance.child.kill("SIGCONT");
      await pause(500);
      assert.equal(await within(remote.applied(), 5_000, "applied()"), 1, "none of the 10 ran after SIGCONT");
      assert.equal(await within(remote.record(), 5_000, "record() after"), 2, "and new calls run again");
    } finally {
      await close(remote);
    }
  });


  it("instance SIGKILLed mid-call: every call on it rejects UNAVAILABLE within the bound", async () => {
    const service = `${nats.url}/killed`;
    const instance = await oneInstance(service);
    const remote = await faultMidCall(service, "the kill", () => instance.kill("SIGKILL"));
    try {
      const err = await rejectsWith(remote.slow(SLOW_MS), "UNAVAILABLE", 5_000, "a call with no instance left");
      assert.match(err.message, /no instance/);
    } finally {
      await close(remote);
    }
  });

  it("instance SIGSTOPped mid-call (NATS still routes to it): every call on it rejects UNAVAILABLE within the bound", async () => {
    const service = `${nats.url}/stopped`;
    const instance = await oneInstance(service);
    const remote = await faultMidCall(service, "SIGSTOP", () => void instance.child.kill("SIGSTOP"));
    try {
      // A call sent to the stopped instance afterwards is given up the same way.
      const t0 = Date.now();
      const err = await rejectsWith(remote.slow(10), "UNAVAILABLE", BOUND_MS + MARGIN_MS, "a call sent to the stopped instance");
      assert.match(err.message, /gave no sign of life for 2500 ms \(heartbeat 1000 ms\)/);
      assert.ok(Date.now() - t0 >= 2 * NATS_DEFAULTS.heartbeatMs - 50, "not before two heartbeats went missing");
    } finally {
      await close(remote);
    }
  });

  it("nats-server killed mid-call: every call rejects UNAVAILABLE within the bound", async () => {
    const own = await startNatsServer({ jetstream: false });
    const service = `${own.url}/cut`;
    await oneInstance(service);
    await close(await faultMidCall(service, "nats-server was killed", () => own.stop()));
  });
});
