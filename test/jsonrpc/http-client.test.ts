/**
 * connect("http://...") gives the same typed remote over JSON-RPC POSTs.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { z } from "zod";
import { close, connect, describeMethod, listMethods, notify, serve, withOptions, type Server } from "../../src/index.js";
import { rejectsWith, within } from "../helpers/bounded.js";
import { httpTestApi } from "../fixtures/http/test-api.js";

const WAIT_MS = 5000;
const { api, hooks } = httpTestApi();
type Api = typeof api;

describe("connect() over HTTP", () => {
  let server: Server;
  let locked: Server;
  before(async () => {
    server = await serve(api, { listen: ["http://127.0.0.1:0/rpc", "tcp://127.0.0.1:0"], logger: false });
    locked = await serve(api, { listen: "http://127.0.0.1:0/rpc", logger: false, authkey: "s3cret" });
  });
  after(() => Promise.all([server.close({ drainMs: 100 }), locked.close()]));

  it("calls typed methods and nested namespaces", async () => {
    const remote = await connect<Api>(server.addresses[0]!);
    assert.equal(await within(remote.add(2, 3), WAIT_MS, "add"), 5);
    assert.equal(await remote.kv.get("a"), "value of a");
    await close(remote);
  });

  it("round-trips extended values farcall-to-farcall", async () => {
    const remote = await connect<Api>(server.addresses[0]!);
    const value = { when: new Date(0), big: 2n ** 70n, m: new Map([[1, "x"]]), s: new Set(["a"]), bytes: new Uint8Array([1, 2]), u: undefined, nan: NaN };
    assert.deepEqual(await remote.echo(value), value);
    await close(remote);
  });

  it("rebuilds an RpcError with its code and data", async () => {
    const remote = await connect<Api>(server.addresses[0]!);
    const err = await rejectsWith(remote.fail(), "INSUFFICIENT_FUNDS", WAIT_MS, "fail");
    assert.deepEqual(err.data, { balance: 5 });
    await rejectsWith((remote as unknown as { nope: () => Promise<void> }).nope(), "METHOD_NOT_FOUND", WAIT_MS, "nope");
    await close(remote);
  });

  it("sends notifications as id-less requests", async () => {
    const remote = await connect<Api>(server.addresses[0]!);
    const got = new Promise((resolve) => (hooks.notified = resolve));
    const sent = new Promise<unknown>((resolve) => notify(remote.ping, ["hi"], resolve));
    assert.equal(await within(got, WAIT_MS, "the notification"), "hi");
    assert.equal(await within(sent, WAIT_MS, "notify done"), undefined);
    await close(remote);
  });

  it("sends the authkey as a bearer token, and with a wrong one connect() rejects UNAUTHENTICATED", async () => {
    const good = await connect<Api>(locked.addresses[0]!, { authkey: "s3cret" });
    assert.equal(await within(good.add(1, 1), WAIT_MS, "add"), 2);
    await rejectsWith(connect<Api>(locked.addresses[0]!, { authkey: "wrong" }), "UNAUTHENTICATED", WAIT_MS, "connect with a wrong key");
    await close(good);
  });

  it("lists methods through rpc.discover", async () => {
    const remote = await connect<Api>(server.addresses[0]!);
    const methods = await within(listMethods(remote), WAIT_MS, "listMethods");
    assert.deepEqual(methods.find((m) => m.name === "add"), { name: "add", arity: 2 });
    await close(remote);
  });

  it("lists a method's parameter and result schemas from the OpenRPC document", async (t) => {
    const scale = describeMethod((n: number, factor: number) => n * factor, { input: [z.number(), z.number().int()], output: z.number() });
    const described = await serve({ scale, plain: (x: unknown) => x }, { listen: "http://127.0.0.1:0", logger: false });
    const remote = await connect<{ scale: typeof scale }>(described.addresses[0]!);
    t.after(async () => {
      await close(remote);
      await described.close();
    });
    const methods = await within(listMethods(remote), WAIT_MS, "listMethods");
    assert.deepEqual(methods.find((m) => m.name === "scale"), {
      name: "scale",
      arity: 2,
      paramSchemas: [{ type: "number" }, { type: "integer", minimum: Number.MIN_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER }],
      resultSchema: { type: "number" },
    });
    assert.deepEqual(methods.find((m) => m.name === "plain"), { name: "plain", arity: 1 }, "empty schemas are left out");
  });

  it("a timeout rejects with DEADLINE_EXCEEDED", async () => {
    const remote = await connect<Api>(server.addresses[0]!);
    await rejectsWith(withOptions(remote, { timeout: 50 }).slow(), "DEADLINE_EXCEEDED", WAIT_MS, "slow");
    await close(remote);
  });

  it("reaches the one-port tcp:// listener by http:// URL", async () => {
    const port = new URL(server.addresses[1]!).port;
    const remote = await connect<Api>(`http://127.0.0.1:${port}/`);
    assert.equal(await within(remote.add(4, 5), WAIT_MS, "add"), 9);
    await close(remote);
  });

  it("after close(), calls reject with UNAVAILABLE", async () => {
    const remote = await connect<Api>(server.addresses[0]!);
    await close(remote);
    await rejectsWith(remote.add(1, 2), "UNAVAILABLE", WAIT_MS, "add after close");
  });
});
