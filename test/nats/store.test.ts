/**
 * The demo service's state in a JetStream key-value bucket (`farcall serve --store`), shared
 * by every instance: concurrent increments from several instances lose none.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { close, connect } from "../../src/index.js";
import { within } from "../helpers/bounded.js";
import { natsServerMissing, startNatsServer, type NatsServer } from "../helpers/nats.js";
import { spawnNode, type TestProcess } from "../helpers/processes.js";

const skip = natsServerMissing("NATS JetStream store tests");
const WAIT_MS = 20_000;

type Demo = { counter: { inc(name: string): number; get(name: string): number }; inc(k: string): number; put(k: string, v: unknown): void; get(k: string): unknown; keys(): string[]; delete(k: string): boolean };

describe("the demo service on a JetStream store", { skip: skip !== undefined }, () => {
  let nats: NatsServer;
  let service: string;
  const instances: TestProcess[] = [];

  before(async () => {
    nats = await startNatsServer();
    service = `${nats.url}/demo`;
    for (let i = 0; i < 3; i++) instances.push(spawnNode(["dist/cli/main.js", "serve", "--listen", service, "--store", `${nats.url}/demo_state`]));
    await Promise.all(instances.map((p) => p.nextLine(/^listening on nats:/, WAIT_MS)));
  });

  after(async () => {
    await Promise.all(instances.map((p) => p.stop()));
    await nats?.stop();
  });

  it("5 client processes x 1000 counter.inc(\"views\") over three instances end at exactly 5000", async () => {
    const clients = Array.from({ length: 5 }, () => spawnNode(["test/fixtures/nats/increment.mjs", service, "1000"]));
    await within(Promise.all(clients.map((c) => c.nextLine(/^done$/, 60_000))), 65_000, "5 clients x 1000 increments");
    const remote = await connect<Demo>(service, { logger: false });
    try {
      assert.equal(await remote.counter.get("views"), 5000);
    } finally {
      await close(remote);
    }
  });

  it("keys written through one instance are read through any: put, get, keys, delete", async () => {
    const remote = await connect<Demo>(service, { logger: false });
    try {
      await remote.put("greeting", { text: "hello", at: new Date(0) });
      await remote.put("ünïcode key with spaces", 1);
      for (let i = 0; i < 6; i++) assert.deepEqual(await remote.get("greeting"), { text: "hello", at: new Date(0) });
      assert.deepEqual(await remote.keys(), ["greeting", "ünïcode key with spaces"]);
      assert.equal(await remote.delete("greeting"), true);
      assert.equal(await remote.delete("greeting"), false);
      assert.equal(await remote.get("greeting"), null);
      assert.deepEqual(await remote.keys(), ["ünïcode key with spaces"]);
    } finally {
      await close(remote);
    }
  });

  it("500 concurrent top-level inc(\"hits\") spread over three instances lose none, and get reads the count", async () => {
    const remote = await connect<Demo>(service, { logger: false });
    try {
      const answers = await within(Promise.all(Array.from({ length: 500 }, () => remote.inc("hits"))), 60_000, "500 inc calls");
      assert.deepEqual([...answers].sort((a, b) => a - b), Array.from({ length: 500 }, (_, i) => i + 1), "each increment answers a distinct new value");
      assert.equal(await remote.get("hits"), 500);
    } finally {
      await close(remote);
    }
  });
});
