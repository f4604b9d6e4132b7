// connect("jsonrpc+ws://..."): JSON-RPC 2.0 over WebSocket from farcall's client, against
// farcall's own server and against an outside one (the json-rpc-2.0 package behind ws).
import assert from "node:assert/strict";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { JSONRPCServer, JSONRPCErrorException } from "json-rpc-2.0";
import { WebSocketServer, type RawData } from "ws";
import { batch, connect, notify, RpcError, serve, withOptions, type Server } from "../../src/index.js";
import { rejection } from "../helpers/bounded.js";

let notified: string[] = [];
const api = {
  add: (a: number, b: number) => a + b,
  fail: () => {
    throw new RpcError("OUT_OF_STOCK", "sku a1 is out of stock", { sku: "a1" });
  },
  note: (s: string) => void notified.push(s),
  hang: () => new Promise<never>(() => {}),
};
type Api = typeof api;

async function dispose(remote: unknown): Promise<void> {
  await (remote as { [Symbol.asyncDispose](): Promise<void> })[Symbol.asyncDispose]();
}

describe("jsonrpc+ws:// against farcall's server", () => {
  let server: Server;
  let url: string;
  before(async () => {
    server = await serve(api, { listen: "tcp://127.0.0.1:0", logger: false });
    url = `${server.addresses[0]!.replace(/^tcp:/, "jsonrpc+ws:")}/`;
  });
  after(() => server.close({ drainMs: 0 }));

  it("calls, and an application error arrives with its code and data", async () => {
    const remote = await connect<Api>(url, { logger: false });
    assert.equal(await remote.add(2, 3), 5);
    const error = await rejection(remote.fail(), 5000, "fail");
    assert.equal(error.code, "OUT_OF_STOCK");
    assert.deepEqual(error.data, { sku: "a1" });
    assert.equal((await rejection((remote as unknown as { nope(): Promise<void> }).nope(), 5000, "nope")).code, "METHOD_NOT_FOUND");
    await dispose(remote);
  });

  it("calls in flight at once are each paired with their own answer, and a batch is one message", async () => {
    const remote = await connect<Api>(url, { logger: false });
    const sums = await Promise.all(Array.from({ length: 100 }, (_, i) => remote.add(i, i)));
    assert.deepEqual(sums, Array.from({ length: 100 }, (_, i) => 2 * i));
    notified = [];
    const [a, b] = await batch(remote, (r) => [r.add(1, 1), r.add(2, 2), notify(r.note, ["batched"])]);
    assert.deepEqual([a, b], [2, 4]);
    assert.deepEqual(notified, ["batched"]);
    await dispose(remote);
  });

  it("a timeout rejects with DEADLINE_EXCEEDED and an AbortSignal with CANCELLED; the connection carries on", async () => {
    const remote = await connect<Api>(url, { logger: false });
    assert.equal((await rejection(withOptions(remote, { timeout: 100 }).hang(), 5000, "a hung call")).code, "DEADLINE_EXCEEDED");
    const controller = new AbortController();
    const pending = withOptions(remote, { signal: controller.signal }).hang();
    controller.abort();
    assert.equal((await rejection(pending, 5000, "an aborted call")).code, "CANCELLED");
    assert.equal(await remote.add(1, 2), 3);
    await dispose(remote);
  });

  it("a call in flight when the server goes away fails UNAVAILABLE, and the next call tries a new socket (failing at once without waitForReady)", async () => {
    const own = await serve(api, { listen: "ws://127.0.0.1:0", logger: false });
    const remote = await connect<Api>(own.addresses[0]!.replace(/^ws:/, "jsonrpc+ws:"), { logger: false, waitForReady: false });
    assert.equal(await remote.add(1, 1), 2);
    const cut = remote.hang();
    cut.catch(() => {});
    await own.close({ drainMs: 0 });
    assert.equal((await rejection(cut, 5000, "the cut-off call")).code, "UNAVAILABLE");
    assert.equal((await rejection(remote.add(1, 1), 5000, "a call with no server")).code, "UNAVAILABLE");
    await dispose(remote);
  });

  it("an authkey is refused: JSON-RPC over WebSocket carries no credentials", async () => {
    await assert.rejects(connect<Api>(url, { authkey: "k" }), /authkey has no meaning on jsonrpc\+ws:\/\//);
  });
});

describe("jsonrpc+ws:// against the json-rpc-2.0 package's server", () => {
  let wss: WebSocketServer;
  let url: string;
  before(async () => {
    const rpc = new JSONRPCServer({ errorListener: () => {} }); // its thrown errors are expected here
    rpc.addMethod("add", ([a, b]: [number, number]) => a + b);
    rpc.addMethod("fail", () => {
      throw new JSONRPCErrorException("no such sku", 4004, { sku: "a1" });
    });
    wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
    wss.on("connection", (socket) => {
      socket.on("message", (data: RawData) => {
        void rpc.receiveJSON(data.toString()).then((response) => {
          if (response) socket.send(JSON.stringify(response));
        });
      });
    });
    await once(wss, "listening");
    url = `jsonrpc+ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`;
  });
  after(() => wss.close());

  it("calls it, concurrently, and reads its numeric error codes with their data", async () => {
    const remote = await connect<{ add(a: number, b: number): number; fail(): void }>(url, { logger: false });
    assert.deepEqual(await Promise.all([remote.add(1, 2), remote.add(3, 4)]), [3, 7]);
    const error = await rejection(remote.fail(), 5000, "fail");
    assert.equal(error.code, 4004);
    assert.equal(error.message, "no such sku");
    assert.deepEqual(error.data, { sku: "a1" });
    await dispose(remote);
  });
});
