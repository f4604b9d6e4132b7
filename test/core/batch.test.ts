/**
 * batch() and batchSettled() over farcall/1 (tcp://), where no protocol support is needed:
 * the recorded calls leave together. Also the rules of the recording remote itself.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { batch, batchSettled, close, connect, notify, RpcError, serve, type Remote, type Server } from "../../src/index.js";
import { rejectsWith, within } from "../helpers/bounded.js";

const WAIT_MS = 5000;
let notified: (x: unknown) => void = () => {};

const api = {
  add: (a: number, b: number) => a + b,
  fail: () => {
    throw new RpcError("INSUFFICIENT_FUNDS", "balance too low", { balance: 5 });
  },
  ping: (x: unknown) => notified(x),
  kv: { get: (k: string) => `value of ${k}` },
};
type Api = typeof api;

describe("batch() over farcall/1", () => {
  let server: Server;
  let remote: Remote<Api>;
  before(async () => {
    server = await serve(api, { listen: "tcp://127.0.0.1:0", logger: false });
    remote = await connect<Api>(server.addresses[0]!);
  });
  after(async () => {
    await close(remote);
    await server.close({ drainMs: 100 });
  });

  it("resolves to the results of every call, in order", async () => {
    const [sum, value, again] = await within(batch(remote, (r) => [r.add(2, 3), r.kv.get("a"), r.add(1, 1)]), WAIT_MS, "batch");
    assert.equal(sum, 5);
    assert.equal(value, "value of a");
    assert.equal(again, 2);
  });

  it("batch() rejects with the first failure, code and data kept", async () => {
    const err = await rejectsWith(batch(remote, (r) => [r.add(1, 1), r.fail()]), "INSUFFICIENT_FUNDS", WAIT_MS, "batch");
    assert.deepEqual(err.data, { balance: 5 });
  });

  it("batchSettled() gives every element's outcome", async () => {
    const [ok, failed] = await within(batchSettled(remote, (r) => [r.add(1, 1), r.fail()]), WAIT_MS, "batchSettled");
    assert.deepEqual(ok, { status: "fulfilled", value: 2 });
    assert.ok(failed.status === "rejected" && (failed.reason as RpcError).code === "INSUFFICIENT_FUNDS");
  });

  it("delivers a notification made inside the callback", async () => {
    const got = new Promise((resolve) => (notified = resolve));
    const [sum] = await within(
      batch(remote, (r) => {
        notify(r.ping, ["hi"]);
        return [r.add(1, 2)];
      }),
      WAIT_MS,
      "batch",
    );
    assert.equal(sum, 3);
    assert.equal(await within(got, WAIT_MS, "the notification"), "hi");
  });

  it("a call through the batch's remote after the callback returned rejects with INVALID_REQUEST", async () => {
    let kept: Remote<Api> | undefined;
    await within(batch(remote, (r) => ((kept = r), [])), WAIT_MS, "batch");
    await rejectsWith(kept!.add(1, 1), "INVALID_REQUEST", WAIT_MS, "a late call");
  });

  it("a callback that throws rejects the batch with its error and sends nothing", async () => {
    const boom = new Error("boom");
    let seen = 0;
    notified = () => seen++;
    await assert.rejects(
      batch(remote, (r) => {
        notify(r.ping, [1]);
        throw boom;
      }),
      (err) => err === boom,
    );
    assert.equal(await within(remote.add(1, 1), WAIT_MS, "a later call"), 2);
    assert.equal(seen, 0);
  });

  it("refuses something that is not a remote with a TypeError", async () => {
    await assert.rejects(batch({}, () => []), TypeError);
  });
});
