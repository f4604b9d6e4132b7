/**
 * XML-RPC where JSON-RPC over HTTP is answered: the one-port listener (with farcall/1 and
 * JSON-RPC on the same port and the same state), http:// listeners, httpHandler() and
 * fetchHandler(); bearer auth, the call log, and farcall's client against it.
 */
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import {
  batch, connect, fetchHandler, httpHandler, notify, RpcError, serve, withOptions,
  type CallLogEntry, type Server,
} from "../../src/index.js";
import { rejectsWith } from "../helpers/bounded.js";

const CALL_MS = 10_000;

function counterApi() {
  let count = 0;
  return {
    inc: (by = 1) => (count += by),
    get: () => count,
    fail: () => {
      throw new RpcError("OUT_OF_STOCK", "none left", { sku: "a1" });
    },
    sleep: (ms: number) => new Promise((resolve) => setTimeout(resolve, ms)),
  };
}
type CounterApi = ReturnType<typeof counterApi>;

const XML_CALL = '<?xml version="1.0"?><methodCall><methodName>inc</methodName><params><param><value><int>2</int></value></param></params></methodCall>';

describe("one port, three protocols, shared state", () => {
  let server: Server;
  before(async () => (server = await serve(counterApi(), { listen: "tcp://127.0.0.1:0", logger: false })));
  after(() => server.close());

  it("farcall/1, JSON-RPC and XML-RPC on one tcp:// port see each other's increments", async () => {
    const port = new URL(server.addresses[0]!).port;
    const farcall = await connect<CounterApi>(`tcp://127.0.0.1:${port}`, { logger: false });
    const json = await connect<CounterApi>(`http://127.0.0.1:${port}/rpc`);
    const xml = await connect<CounterApi>(`xmlrpc+http://127.0.0.1:${port}/RPC2`);
    try {
      assert.equal(await farcall.inc(1), 1);
      assert.equal(await json.inc(10), 11);
      assert.equal(await xml.inc(100), 111);
      assert.deepEqual(await Promise.all([farcall.get(), json.get(), xml.get()]), [111, 111, 111]);
    } finally {
      await Promise.all([farcall, json, xml].map((r) => r[Symbol.asyncDispose]()));
    }
  });
});

describe("farcall's XML-RPC client against a farcall server", () => {
  let server: Server;
  const entries: CallLogEntry[] = [];
  before(async () => (server = await serve(counterApi(), { listen: "http://127.0.0.1:0/RPC2", authkey: "s3cret", logger: false, callLog: (e) => entries.push(e) })));
  after(() => server.close());

  it("without the bearer token the answer is 401 with an UNAUTHENTICATED fault", async () => {
    const res = await fetch(server.addresses[0]!, { method: "POST", headers: { "content-type": "text/xml" }, body: XML_CALL });
    assert.equal(res.status, 401);
    assert.match(res.headers.get("content-type") ?? "", /^text\/xml/);
    assert.match(await res.text(), /<name>faultCode<\/name><value><int>-32001<\/int>/);
    await rejectsWith(connect<CounterApi>(server.addresses[0]!.replace("http://", "xmlrpc+http://")), "UNAUTHENTICATED", CALL_MS, "connect without the key");
  });

  it("with the authkey, calls, batches and notifications work, and string codes come back with their data", async () => {
    const remote = await connect<CounterApi>(server.addresses[0]!.replace("http://", "xmlrpc+http://"), { authkey: "s3cret" });
    try {
      assert.equal(await remote.inc(), 1);
      assert.deepEqual(await batch(remote, (r) => [r.inc(2), r.get()]), [3, 3]);
      await new Promise<void>((resolve, reject) => notify(remote.inc, [4], (err) => (err ? reject(err) : resolve())));
      assert.equal(await remote.get(), 7);
      const err = await rejectsWith(remote.fail(), "OUT_OF_STOCK", CALL_MS, "fail()");
      assert.deepEqual(err.data, { sku: "a1" });
      await rejectsWith(withOptions(remote, { timeout: 50 }).sleep(2000), "DEADLINE_EXCEEDED", CALL_MS, "a slow call with a 50 ms timeout");
    } finally {
      await remote[Symbol.asyncDispose]();
    }
    await rejectsWith(remote.get(), "UNAVAILABLE", CALL_MS, "a call after close");
  });

  it("the call log names the protocol xmlrpc", () => {
    const xml = entries.filter((e) => e.protocol === "xmlrpc");
    assert.ok(xml.some((e) => e.method === "inc" && e.outcome === "ok" && e.transport === "http"));
    assert.ok(xml.some((e) => e.method === "fail" && e.outcome === "OUT_OF_STOCK"));
  });

  it("a Content-Type that is neither JSON nor XML is 415 naming both", async () => {
    const res = await fetch(server.addresses[0]!, { method: "POST", headers: { "content-type": "text/plain", authorization: "Bearer s3cret" }, body: XML_CALL });
    assert.equal(res.status, 415);
    assert.match(await res.text(), /application\/json \(JSON-RPC\) or text\/xml \(XML-RPC\)/);
  });
});

describe("the HTTP handlers answer XML-RPC too", () => {
  it("httpHandler() in node:http answers a text/xml POST with a methodResponse", async (t) => {
    const http = createServer(httpHandler(counterApi(), { logger: false }));
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    t.after(() => {
      http.closeAllConnections();
      http.close();
    });
    const { port } = http.address() as AddressInfo;
    const res = await fetch(`http://127.0.0.1:${port}/api`, { method: "POST", headers: { "content-type": "application/xml" }, body: XML_CALL });
    assert.equal(res.status, 200);
    assert.match(await res.text(), /<methodResponse><params><param><value><int>2<\/int><\/value><\/param><\/params><\/methodResponse>/);
    const remote = await connect<CounterApi>(`xmlrpc+http://127.0.0.1:${port}/api`);
    assert.equal(await remote.inc(3), 5);
    await remote[Symbol.asyncDispose]();
  });

  it("fetchHandler() answers a text/xml Request with a methodResponse", async () => {
    const handler = fetchHandler(counterApi(), { logger: false });
    const res = await handler(new Request("http://localhost/api", { method: "POST", headers: { "content-type": "text/xml; charset=utf-8" }, body: XML_CALL }));
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/xml/);
    assert.match(await res.text(), /<int>2<\/int>/);
  });
});
