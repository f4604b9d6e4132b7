/**
 * NATS's own Services API (ADR-32) on a farcall service: the official client of
 * `@nats-io/services` (Svcm), against a real nats-server, finds every instance with
 * `$SRV.PING`, reads the methods as endpoints with their descriptions and schemas from
 * `$SRV.INFO`, and counts real calls and errors in `$SRV.STATS`.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Svcm, type ServiceClient, type ServiceInfo, type ServiceStats } from "@nats-io/services";
import { connect as natsConnect, type NatsConnection } from "@nats-io/transport-node";
import { z } from "zod";
import { close, connect, describeMethod, natsInstances, RpcError, serve, type Remote, type Server } from "../../src/index.js";
import { rejectsWith, within } from "../helpers/bounded.js";
import { natsServerMissing, startNatsServer, type NatsServer } from "../helpers/nats.js";
import { spawnNode } from "../helpers/processes.js";

const skip = natsServerMissing("NATS Services API tests");
const WAIT_MS = 20_000;

const api = {
  add: describeMethod((a: number, b: number) => a + b, { description: "Adds two numbers", params: [{ name: "a" }, { name: "b" }], input: [z.number(), z.number()], output: z.number() }),
  nap: describeMethod(async (ms: number) => new Promise<number>((resolve) => setTimeout(resolve, ms, ms)), { description: "Answers after ms milliseconds" }),
  refuse: (): never => {
    throw new RpcError("INSUFFICIENT_FUNDS", "balance 0 is below 10");
  },
  kv: { get: (key: string) => key.length },
};
type Api = typeof api;

async function all<T>(answers: Promise<AsyncIterable<T>>): Promise<T[]> {
  const out: T[] = [];
  for await (const a of await answers) out.push(a);
  return out;
}

// A bound on the whole file: a hang here (seen twice in loaded full runs, not reproduced) fails
// the file instead of holding the suite.
describe("NATS's Services API on a farcall service", { skip: skip !== undefined, timeout: 120_000 }, () => {
  let nats: NatsServer;
  let servers: Server[] = [];
  let nc: NatsConnection;
  let svcm: ServiceClient;
  let url: string;

  before(async () => {
    nats = await startNatsServer({ jetstream: false });
    url = `${nats.url}/billing`;
    servers = [await serve(api, { listen: url, logger: false }), await serve(api, { listen: url, logger: false })];
    nc = await natsConnect({ servers: nats.url });
    svcm = new Svcm(nc as never).client({ strategy: "timer", maxWait: 500 });
  });

  after(async () => {
    await nc?.close();
    await Promise.all(servers.map((s) => s.close()));
    await nats?.stop();
  });

  it("$SRV.PING, with and without the service name and id, finds every instance", async () => {
    const everyone = await within(all(svcm.ping()), WAIT_MS, "ping");
    const ours = everyone.filter((p) => p.name === "billing");
    assert.equal(ours.length, 2);
    assert.equal(new Set(ours.map((p) => p.id)).size, 2, "each instance has its own id");
    const byName = await within(all(svcm.ping("billing")), WAIT_MS, "ping billing");
    assert.deepEqual(byName.map((p) => p.id).sort(), ours.map((p) => p.id).sort());
    const one = ours[0]!;
    const byId = await within(all(svcm.ping("billing", one.id)), WAIT_MS, "ping billing id");
    assert.deepEqual(byId.map((p) => [p.id, p.version, p.type]), [[one.id, "1.0.0", "io.nats.micro.v1.ping_response"]]);
    await assert.rejects(within(all(svcm.ping("nobody")), WAIT_MS, "ping nobody"), /no responders/, "another service's name finds none of them");
  });

  it("$SRV.INFO lists every method as an endpoint on its call subject and queue group, with its description and schemas", async () => {
    const infos: ServiceInfo[] = await within(all(svcm.info("billing")), WAIT_MS, "info");
    assert.equal(infos.length, 2);
    for (const info of infos) {
      assert.equal(info.metadata?.["farcall.service"], "billing");
      const byName = new Map(info.endpoints.map((e) => [e.name, e]));
      const add = byName.get("add")!;
      assert.equal(add.subject, "billing.add");
      assert.equal(add.queue_group, "billing");
      assert.equal(add.metadata?.description, "Adds two numbers");
      assert.deepEqual(JSON.parse(add.metadata!.params!), ["a", "b"]);
      assert.deepEqual(JSON.parse(add.metadata!.param_schemas!), [{ type: "number" }, { type: "number" }]);
      assert.deepEqual(JSON.parse(add.metadata!.result_schema!), { type: "number" });
      assert.equal(byName.get("nap")?.metadata?.description, "Answers after ms milliseconds");
      // A dotted path is a valid subject, not a valid endpoint name.
      assert.deepEqual([byName.get("kv_get")?.subject, byName.get("kv_get")?.metadata?.arity], ["billing.kv.get", "1"]);
      assert.equal(byName.get("farcall-session")?.subject, "billing.$session");
    }
  });

  it("$SRV.STATS counts the real calls, their errors and their processing time, summed over the instances", async () => {
    const remote: Remote<Api> = await connect<Api>(url, { logger: false });
    try {
      for (let i = 0; i < 6; i++) assert.equal(await remote.add(i, 1), i + 1);
      for (let i = 0; i < 3; i++) await rejectsWith(remote.refuse(), "INSUFFICIENT_FUNDS", WAIT_MS, "refuse");
      await rejectsWith((remote.add as unknown as (a: string) => Promise<number>)("x"), "INVALID_PARAMS", WAIT_MS, "add('x')");
      await Promise.all([remote.nap(50), remote.nap(50)]);
    } finally {
      await close(remote);
    }
    const stats: ServiceStats[] = await within(all(svcm.stats("billing")), WAIT_MS, "stats");
    assert.equal(stats.length, 2);
    const sum = (name: string, field: "num_requests" | "num_errors" | "processing_time"): number =>
      stats.reduce((n, s) => n + (s.endpoints?.find((e) => e.name === name)?.[field] ?? 0), 0);
    assert.equal(sum("add", "num_requests"), 7);
    assert.equal(sum("add", "num_errors"), 1);
    assert.equal(sum("refuse", "num_requests"), 3);
    assert.equal(sum("refuse", "num_errors"), 3);
    assert.equal(sum("nap", "num_requests"), 2);
    assert.equal(sum("nap", "num_errors"), 0);
    assert.ok(sum("nap", "processing_time") >= 2 * 45e6, `two 50 ms naps took ${sum("nap", "processing_time")} ns`);
    const refusing = stats.map((s) => s.endpoints?.find((e) => e.name === "refuse")).find((e) => (e?.num_errors ?? 0) > 0);
    assert.equal(refusing?.last_error, "INSUFFICIENT_FUNDS: balance 0 is below 10");
    const watcher = await connect<Api>(url, { logger: false });
    try {
      const report = await within(natsInstances(watcher), WAIT_MS, "natsInstances");
      assert.equal(report.length, 2);
      assert.equal(report.reduce((n, r) => n + r.callsServed, 0), 7 + 3 + 2);
      assert.equal(report.reduce((n, r) => n + r.callsFailed, 0), 4);
      assert.deepEqual(report[0]!.methods.map((m) => m.name), ["add", "kv.get", "nap", "refuse"]);
      assert.equal(report[0]!.pid, process.pid);
    } finally {
      await close(watcher);
    }
  });

  it("farcall list reads the methods, their descriptions and schemas, and the instances from the same API", async () => {
    const list = spawnNode(["dist/cli/main.js", "list", url]);
    await list.nextLine(/^add\(a: number, b: number\) -> number {2}Adds two numbers$/, WAIT_MS);
    await list.nextLine(/^kv\.get\(1\)$/, WAIT_MS);
    await list.nextLine(/^2 instances answer:$/, WAIT_MS);
    const pids = [(await list.nextLine(/ v1\.0\.0 .* pid (\d+): up .* calls served, \d+ failed, \d+ in flight$/, WAIT_MS))[1], (await list.nextLine(/ pid (\d+): /, WAIT_MS))[1]];
    assert.deepEqual(pids, [String(process.pid), String(process.pid)]);
    await within(list.exited, WAIT_MS, "farcall list exits");
    assert.equal(list.child.exitCode, 0);
  });

  it("an instance that closes leaves the Services API", async () => {
    const extra = await serve(api, { listen: url, logger: false });
    assert.equal((await within(all(svcm.ping("billing")), WAIT_MS, "ping")).length, 3);
    await extra.close();
    assert.equal((await within(all(svcm.ping("billing")), WAIT_MS, "ping")).length, 2);
  });

  it("nats.version must be a semantic version: the Services API announces no other", async () => {
    await assert.rejects(serve(api, { listen: url, logger: false, nats: { version: "one" } }), /nats.version must be a semantic version such as "1.2.0", got "one"/);
  });
});
