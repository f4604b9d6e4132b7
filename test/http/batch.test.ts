/**
 * batch() over HTTP: one POST carrying a JSON-RPC batch array, answers mapped back by id.
 * The server is a plain node:http server around httpHandler, so the test sees every request.
 */
import assert from "node:assert/strict";
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, beforeEach, describe, it } from "node:test";
import { batch, batchSettled, close, connect, httpHandler, listMethods, notify, RpcError, withOptions, type Remote } from "../../src/index.js";
import { rejectsWith, within } from "../helpers/bounded.js";
import { httpTestApi } from "../fixtures/http/test-api.js";

const WAIT_MS = 5000;
const { api, hooks } = httpTestApi();
type Api = typeof api;

describe("batch() over HTTP", () => {
  let http: HttpServer;
  let url: string;
  let remote: Remote<Api>;
  /** The JSON bodies of the POSTs the server received since the last test began. */
  let bodies: unknown[] = [];

  before(async () => {
    const handle = httpHandler(api);
    http = createServer((req, res) => {
      // Read the body first, as a framework's body parser would; the handler takes it from
      // req.body, and every request the server received is recorded.
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks);
        bodies.push(JSON.parse(body.toString("utf8")));
        (req as { body?: unknown }).body = body;
        handle(req, res);
      });
    });
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/rpc`;
    remote = await connect<Api>(url);
  });
  after(async () => {
    await close(remote);
    http.closeAllConnections();
    await new Promise((resolve) => http.close(resolve));
  });
  beforeEach(() => {
    bodies = [];
  });

  it("sends three calls as ONE request and resolves to their results in order", async () => {
    const [sum, value, same] = await within(
      batch(remote, (r) => [r.add(2, 3), r.kv.get("a"), r.echo({ when: new Date(0) })]),
      WAIT_MS,
      "batch",
    );
    assert.equal(sum, 5);
    assert.equal(value, "value of a");
    assert.deepEqual(same, { when: new Date(0) });
    assert.equal(bodies.length, 1);
    const sent = bodies[0] as { method: string; id: unknown }[];
    assert.ok(Array.isArray(sent), "the body is a JSON-RPC batch array");
    assert.deepEqual(sent.map((m) => m.method), ["add", "kv.get", "echo"]);
    assert.equal(new Set(sent.map((m) => m.id)).size, 3, "each call has its own id");
  });

  it("batch() rejects with the failing element's RpcError, code and data kept", async () => {
    const err = await rejectsWith(batch(remote, (r) => [r.add(1, 1), r.fail()]), "INSUFFICIENT_FUNDS", WAIT_MS, "batch");
    assert.deepEqual(err.data, { balance: 5 });
    assert.equal(bodies.length, 1);
  });

  it("batchSettled() gives every element's outcome", async () => {
    const [ok, failed, missing] = await within(
      batchSettled(remote, (r) => [r.add(1, 1), r.fail(), (r as unknown as { nope: () => Promise<void> }).nope()]),
      WAIT_MS,
      "batchSettled",
    );
    assert.deepEqual(ok, { status: "fulfilled", value: 2 });
    assert.equal(failed.status, "rejected");
    assert.ok(failed.status === "rejected" && RpcError.is(failed.reason) && failed.reason.code === "INSUFFICIENT_FUNDS");
    assert.deepEqual(failed.status === "rejected" && (failed.reason as RpcError).data, { balance: 5 });
    assert.ok(missing.status === "rejected" && (missing.reason as RpcError).code === "METHOD_NOT_FOUND");
    assert.equal(bodies.length, 1);
  });

  it("a notification inside a batch is an id-less member of the same request", async () => {
    const got = new Promise((resolve) => (hooks.notified = resolve));
    let done: Promise<unknown> = Promise.resolve("not called");
    const [sum] = await within(
      batch(remote, (r) => {
        done = new Promise((resolve) => notify(r.ping, ["hi"], resolve));
        return [r.add(1, 2)];
      }),
      WAIT_MS,
      "batch",
    );
    assert.equal(sum, 3);
    assert.equal(await within(got, WAIT_MS, "the notification"), "hi");
    assert.equal(await within(done, WAIT_MS, "notify done"), undefined);
    assert.equal(bodies.length, 1);
    const sent = bodies[0] as Record<string, unknown>[];
    assert.deepEqual(sent.map((m) => [m.method, "id" in m]), [["ping", false], ["add", true]]);
  });

  it("a batch of notifications only is one request, and each done() learns it was delivered", async () => {
    const got = new Promise((resolve) => (hooks.notified = resolve));
    let done: Promise<unknown> = Promise.resolve("not called");
    const results = await within(
      batch(remote, (r) => {
        done = new Promise((resolve) => notify(r.ping, ["only"], resolve));
        return [];
      }),
      WAIT_MS,
      "batch",
    );
    assert.deepEqual(results, []);
    assert.equal(await within(got, WAIT_MS, "the notification"), "only");
    assert.equal(await within(done, WAIT_MS, "notify done"), undefined);
    assert.equal(bodies.length, 1);
  });

  it("listMethods() inside a batch goes out as rpc.discover", async () => {
    const [methods, sum] = await within(batch(remote, (r) => [listMethods(r), r.add(1, 1)]), WAIT_MS, "batch");
    assert.deepEqual(methods.find((m) => m.name === "add"), { name: "add", arity: 2 });
    assert.equal(sum, 2);
    assert.equal(bodies.length, 1);
  });

  it("the shortest timeout among the calls bounds the one request", async () => {
    const fast = withOptions(remote, { timeout: 50 });
    const [quick, slow] = await within(batchSettled(remote, (r) => [r.add(1, 1), withOptions(r, { timeout: 50 }).slow()]), WAIT_MS, "batch");
    assert.ok(quick.status === "rejected" && (quick.reason as RpcError).code === "DEADLINE_EXCEEDED");
    assert.ok(slow.status === "rejected" && (slow.reason as RpcError).code === "DEADLINE_EXCEEDED");
    await rejectsWith(batch(fast, (r) => [r.slow()]), "DEADLINE_EXCEEDED", WAIT_MS, "batch through withOptions");
  });

  it("an empty batch sends nothing", async () => {
    assert.deepEqual(await within(batch(remote, () => []), WAIT_MS, "batch"), []);
    assert.equal(bodies.length, 0);
  });
});
