/**
 * The NATS client packages are optional: a nats:// URL without them fails with a message
 * naming the package to install. Simulated through the loader's seam (nothing is uninstalled).
 */
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { close, connect, natsInstances, serve } from "../../src/index.js";
import { openNatsState } from "../../src/demo/store-nats.js";
import { setNatsImporter } from "../../src/nats/loader.js";
import { rejectsWith } from "../helpers/bounded.js";
import { natsForSuite, natsServerMissing } from "../helpers/nats.js";

function missing(name: string): Promise<never> {
  return Promise.reject(Object.assign(new Error(`Cannot find package '${name}' imported from farcall`), { code: "ERR_MODULE_NOT_FOUND" }));
}

describe("nats:// without the optional NATS packages", () => {
  afterEach(() => setNatsImporter());

  it("connect() rejects UNAVAILABLE naming @nats-io/transport-node", async () => {
    setNatsImporter(missing);
    const err = await rejectsWith(connect("nats://127.0.0.1:4222/orders", { logger: false }), "UNAVAILABLE", 5_000, "connect");
    assert.match(err.message, /needs the optional package @nats-io\/transport-node: install it with "npm install @nats-io\/transport-node"/);
  });

  it("serve() on a nats:// URL rejects the same way", async () => {
    setNatsImporter(missing);
    const err = await rejectsWith(serve({ add: (a: number, b: number) => a + b }, { listen: "nats://127.0.0.1:4222/orders", logger: false }), "UNAVAILABLE", 5_000, "serve");
    assert.match(err.message, /@nats-io\/transport-node/);
  });

  it("the demo's JetStream store without @nats-io/kv names that package", async () => {
    setNatsImporter((name) => (name === "@nats-io/kv" ? missing(name) : import(name)));
    const err = await rejectsWith(openNatsState("nats://127.0.0.1:4222/bucket"), "UNAVAILABLE", 5_000, "store");
    assert.match(err.message, /needs the optional package @nats-io\/kv/);
  });

  it("a nats:// URL without a service name is refused before anything is loaded", async () => {
    await assert.rejects(connect("nats://127.0.0.1:4222", { logger: false }), /needs a service name/);
  });
});

describe("nats:// without the optional @nats-io/services", { skip: natsServerMissing("NATS loader tests") !== undefined }, () => {
  const nats = natsForSuite();
  const withoutServices = (name: string): Promise<unknown> => (name === "@nats-io/services" ? missing(name) : import(name));
  afterEach(() => setNatsImporter());

  it("serve() on a nats:// URL rejects UNAVAILABLE naming @nats-io/services: an instance registers with NATS's Services API", async () => {
    setNatsImporter(withoutServices);
    const err = await rejectsWith(serve({ add: (a: number, b: number) => a + b }, { listen: `${nats.url}/plain`, logger: false }), "UNAVAILABLE", 10_000, "serve");
    assert.match(err.message, /needs the optional package @nats-io\/services: install it with "npm install @nats-io\/services"/);
  });

  it("a client calls without it; natsInstances() names it", async () => {
    const server = await serve({ add: (a: number, b: number) => a + b }, { listen: `${nats.url}/plain`, logger: false });
    setNatsImporter(withoutServices);
    const remote = await connect<{ add(a: number, b: number): number }>(`${nats.url}/plain`, { logger: false });
    try {
      assert.equal(await remote.add(2, 3), 5);
      const err = await rejectsWith(natsInstances(remote), "UNAVAILABLE", 10_000, "natsInstances");
      assert.match(err.message, /@nats-io\/services/);
    } finally {
      await close(remote);
      await server.close();
    }
  });
});
