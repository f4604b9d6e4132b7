/**
 * farcall on NATS with a real nats-server and real instance processes: calls spread over a
 * queue group, health, `farcall list`, no-responders, and what travels with a call.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { batch, batchSettled, close, connect, context, natsInstances, notify, serve, withOptions, type Remote, type Server } from "../../src/index.js";
import { rejectsWith, within } from "../helpers/bounded.js";
import { natsServerMissing, startInstances, startNatsServer, type NatsServer } from "../helpers/nats.js";
import { spawnNode, type TestProcess } from "../helpers/processes.js";

const skip = natsServerMissing("NATS transport tests");
const WAIT_MS = 20_000;

type Api = { whoami(): number; slow(ms: number): number };

describe("farcall on NATS", { skip: skip !== undefined }, () => {
  let nats: NatsServer;
  let instances: TestProcess[] = [];
  let service: string;

  before(async () => {
    nats = await startNatsServer();
    service = `${nats.url}/orders`;
    instances = await startInstances(service, 3);
  });

  after(async () => {
    await Promise.all(instances.map((p) => p.stop()));
    await nats?.stop();
  });

  it("three instances behind one service: 10,000 calls all succeed and each instance serves at least 20% of them", async () => {
    const remote = await connect<Api>(service, { timeout: 10_000, logger: false });
    const served = new Map<number, number>();
    const TOTAL = 10_000;
    const IN_FLIGHT = 100;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < TOTAL) {
        next++;
        const pid = await remote.whoami();
        served.set(pid, (served.get(pid) ?? 0) + 1);
      }
    };
    await within(Promise.all(Array.from({ length: IN_FLIGHT }, worker)), 60_000, "10,000 calls");
    await close(remote);
    assert.equal([...served.values()].reduce((a, b) => a + b, 0), TOTAL);
    assert.deepEqual([...served.keys()].sort(), instances.map((p) => p.pid).sort(), "every instance answered");
    for (const [pid, n] of served) assert.ok(n >= TOTAL * 0.2, `instance ${pid} served ${n} of ${TOTAL}, under 20%`);
  });

  it("natsInstances() reads each instance's id, version, uptime, calls and methods from NATS's Services API", async () => {
    const remote = await connect<Api>(service, { logger: false });
    try {
      const report = await within(natsInstances(remote), WAIT_MS, "health");
      assert.equal(report.length, 3);
      assert.equal(new Set(report.map((r) => r.instance)).size, 3, "distinct instance ids");
      assert.deepEqual(report.map((r) => r.pid).sort(), instances.map((p) => p.pid).sort());
      for (const r of report) {
        assert.equal(r.service, "orders");
        assert.ok(r.uptimeMs > 0 && Number.isInteger(r.callsServed) && r.callsInFlight >= 0 && r.version === "1.0.0" && r.methods.some((m) => m.name === "whoami"), JSON.stringify(r));
      }
    } finally {
      await close(remote);
    }
  });

  it("farcall list prints the methods and how many instances answer", async () => {
    const list = spawnNode(["dist/cli/main.js", "list", service]);
    await list.nextLine(/^whoami\(0\)$/, WAIT_MS);
    const [, count] = await list.nextLine(/^(\d+) instances answer:$/, WAIT_MS);
    assert.equal(count, "3");
    const pids: number[] = [];
    for (let i = 0; i < 3; i++) pids.push(Number((await list.nextLine(/ pid (\d+): up /, WAIT_MS))[1]));
    assert.deepEqual(pids.sort(), instances.map((p) => p.pid).sort());
    await within(list.exited, WAIT_MS, "farcall list exits");
    assert.equal(list.child.exitCode, 0);
  });

  it("no instance listening: a call fails UNAVAILABLE at once (no responders), not at its deadline", async () => {
    const remote = await connect<Api>(`${nats.url}/nobody`, { timeout: 60_000, logger: false });
    try {
      const err = await rejectsWith(remote.whoami(), "UNAVAILABLE", 5_000, "call with no instance");
      assert.match(err.message, /no instance of service "nobody"/);
    } finally {
      await close(remote);
    }
  });

  describe("what travels with a call", () => {
    let server: Server;
    const seen: unknown[] = [];
    before(async () => {
      server = await serve(
        {
          context: () => ({ meta: context().meta, deadline: context().deadline, transport: context().peer.transport }),
          record: (x: unknown) => void seen.push(x),
          add: (a: number, b: number) => a + b,
          echo: (x: unknown) => x,
          sleep: async (ms: number) => {
            await new Promise((resolve) => setTimeout(resolve, ms));
            seen.push(`slept ${ms}`);
          },
        },
        { listen: `${nats.url}/context`, logger: false },
      );
    });
    after(() => server?.close({ drainMs: 0 }));

    type Ctx = { context(): { meta: Record<string, unknown>; deadline?: number; transport: string }; record(x: unknown): void; add(a: number, b: number): number; echo<T>(x: T): T; sleep(ms: number): void };

    it("metadata and the deadline reach the handler through NATS headers", async () => {
      const remote = await connect<Ctx>(`${nats.url}/context`, { logger: false });
      try {
        const before = Date.now();
        const got = await withOptions(remote, { timeout: 5_000, meta: { tenant: "acme", since: new Date(0) } }).context();
        assert.deepEqual(got.meta, { tenant: "acme", since: new Date(0) });
        assert.equal(got.transport, "nats");
        assert.ok(got.deadline !== undefined && got.deadline >= before + 4_000 && got.deadline <= Date.now() + 5_000, `deadline ${got.deadline}`);
        assert.deepEqual(await remote.echo({ when: new Date(1), big: 2n ** 70n, bytes: new Uint8Array([1, 2]) }), { when: new Date(1), big: 2n ** 70n, bytes: new Uint8Array([1, 2]) });
      } finally {
        await close(remote);
      }
    });

    it("a notification is a publish the handler runs, and a batch is one request answered in order", async () => {
      const remote = await connect<Ctx>(`${nats.url}/context`, { logger: false });
      try {
        await new Promise<void>((resolve, reject) => notify(remote.record, ["hello"], (err) => (err ? reject(err) : resolve())));
        const [sum, echoed] = await within(batch(remote, (r) => [r.add(2, 3), r.echo("x")]), WAIT_MS, "batch");
        assert.deepEqual([sum, echoed], [5, "x"]);
        // The batch was sent after the notification, on the same connection, to the same single instance.
        assert.deepEqual(seen, ["hello"]);
        await rejectsWith((remote as unknown as Remote<{ nope(): void }>).nope(), "METHOD_NOT_FOUND", WAIT_MS, "unknown method");
      } finally {
        await close(remote);
      }
    });

    it("each member of a batch takes its own metadata and deadline; a member that cannot be sent fails alone", async () => {
      const remote = await connect<Ctx>(`${nats.url}/context`, { logger: false });
      try {
        const before = Date.now();
        const aborted = AbortSignal.abort();
        const [a, b, c] = await within(
          batchSettled(remote, (r) => [withOptions(r, { meta: { n: 1 }, timeout: 5_000 }).context(), withOptions(r, { meta: { n: 2 }, timeout: 20_000 }).context(), withOptions(r, { signal: aborted }).add(1, 2)]),
          WAIT_MS,
          "batch",
        );
        assert.equal(a.status, "fulfilled");
        assert.equal(b.status, "fulfilled");
        if (a.status !== "fulfilled" || b.status !== "fulfilled") return;
        assert.deepEqual([a.value.meta, b.value.meta], [{ n: 1 }, { n: 2 }]);
        // One request carries the batch: its deadline is the shortest of its calls.
        assert.ok(a.value.deadline !== undefined && a.value.deadline <= before + 5_000 + 1_000, `deadline ${a.value.deadline}`);
        assert.equal(c.status, "rejected");
        assert.equal((c as PromiseRejectedResult).reason.code, "CANCELLED");
      } finally {
        await close(remote);
      }
    });

    it("cancelling a call rejects it CANCELLED at once; the instance runs it to its end and the client goes on", async () => {
      const remote = await connect<Ctx>(`${nats.url}/context`, { logger: false });
      try {
        const controller = new AbortController();
        const call = withOptions(remote, { signal: controller.signal }).sleep(300);
        setTimeout(() => controller.abort(), 20);
        const started = Date.now();
        await rejectsWith(call, "CANCELLED", WAIT_MS, "cancelled call");
        assert.ok(Date.now() - started < 250, "rejected before the handler finished");
        assert.equal(await remote.add(1, 2), 3);
        await within(
          (async () => {
            while (!seen.includes("slept 300")) await new Promise((resolve) => setTimeout(resolve, 20));
          })(),
          WAIT_MS,
          "the handler finishing",
        );
      } finally {
        await close(remote);
      }
    });

    it("a call still running at its deadline rejects DEADLINE_EXCEEDED then, and the client goes on", async () => {
      const remote = await connect<Ctx>(`${nats.url}/context`, { logger: false });
      try {
        const started = Date.now();
        await rejectsWith(withOptions(remote, { timeout: 100 }).sleep(1_000), "DEADLINE_EXCEEDED", WAIT_MS, "call past its deadline");
        assert.ok(Date.now() - started < 900, `rejected after ${Date.now() - started} ms`);
        assert.equal(await remote.add(2, 2), 4);
      } finally {
        await close(remote);
      }
    });
  });
});
