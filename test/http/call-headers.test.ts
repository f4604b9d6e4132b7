/**
 * A call's metadata and deadline over HTTP: JSON-RPC and XML-RPC documents have no field for
 * them, so they travel as Farcall-Meta and Farcall-Timeout headers and reach context().
 */
import assert from "node:assert/strict";
import { request } from "node:http";
import { after, before, describe, it } from "node:test";
import { batch, close, connect, context, serve, withOptions, type Server } from "../../src/index.js";
import { RpcError } from "../../src/core/errors.js";

const api = {
  seen: () => ({ meta: context().meta, left: context().deadline === undefined ? null : context().deadline! - Date.now(), protocol: context().protocol }),
};
type Api = typeof api;

function post(url: string, headers: Record<string, string>, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "POST", headers: { "content-type": "application/json", ...headers } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("call metadata and deadlines over HTTP", () => {
  let server: Server;
  before(async () => {
    server = await serve(api, { listen: "http://127.0.0.1:0", logger: false });
  });
  after(() => server.close({ drainMs: 100 }));

  for (const scheme of ["http", "xmlrpc+http"]) {
    it(`${scheme}: withOptions' meta and timeout reach the handler's context()`, async () => {
      const remote = await connect<Api>(server.addresses[0]!.replace(/^http/, scheme));
      const meta = { user: "zoë", when: new Date(0) };
      const seen = await withOptions(remote, { meta: scheme === "http" ? meta : { user: "zoë" }, timeout: 5000 }).seen();
      assert.deepEqual(seen.meta, scheme === "http" ? meta : { user: "zoë" });
      assert.ok(seen.left !== null && seen.left > 0 && seen.left <= 5000, `deadline ${String(seen.left)} ms away`);
      assert.equal(seen.protocol, scheme === "http" ? "jsonrpc" : "xmlrpc");
      const plain = await remote.seen();
      assert.deepEqual(plain.meta, {});
      assert.equal(plain.left, null);
      await close(remote);
    });
  }

  it("a batch whose members share metadata sends it once; different metadata fails the batch with INVALID_PARAMS", async () => {
    const remote = await connect<Api>(server.addresses[0]!);
    const shared = withOptions(remote, { meta: { a: 1 } });
    const [x, y] = await batch(shared, (r) => [r.seen(), r.seen()]);
    assert.deepEqual([x.meta, y.meta], [{ a: 1 }, { a: 1 }]);
    await assert.rejects(
      batch(remote, (r) => [withOptions(r, { meta: { a: 1 } }).seen(), withOptions(r, { meta: { a: 2 } }).seen()]),
      (e: unknown) => RpcError.is(e) && e.code === "INVALID_PARAMS" && /different metadata/.test(e.message),
    );
    await close(remote);
  });

  it("a malformed Farcall-Timeout or Farcall-Meta header is refused with HTTP 400 and INVALID_REQUEST", async () => {
    const doc = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "seen" });
    for (const headers of [{ "farcall-timeout": "soon" }, { "farcall-meta": "[1]" }] as Record<string, string>[]) {
      const res = await post(server.addresses[0]!, headers, doc);
      assert.equal(res.status, 400);
      assert.equal(JSON.parse(res.body).error.code, -32600);
    }
  });
});
