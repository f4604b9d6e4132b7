/**
 * connect() over http(s):// (JSON-RPC) and xmlrpc+http(s):// (XML-RPC) checks the URL with
 * one introspection request before it resolves (src/http/endpoint-check.ts), and rejects as
 * a TCP connect does: UNAVAILABLE for a dead port, UNAUTHENTICATED for a wrong key, and
 * INVALID_REQUEST naming the URL for a path or a server that is no RPC endpoint.
 */
import assert from "node:assert/strict";
import { createServer, type Server as HttpServer } from "node:http";
import { test } from "node:test";
import { close, connect, serve, type Server } from "../../src/index.js";
import { rejection, within } from "../helpers/bounded.js";
import { freePort } from "../helpers/ports.js";

const WAIT_MS = 10_000;
const api = { add: (a: number, b: number) => a + b };

async function farcallHttp(t: { after(fn: () => unknown): void }, authkey?: string): Promise<{ server: Server; port: number }> {
  const server = await serve(api, { listen: "http://127.0.0.1:0", logger: false, ...(authkey ? { authkey } : {}) });
  t.after(() => server.close());
  return { server, port: Number(new URL(server.addresses[0]!).port) };
}

/** A web server that is not an RPC endpoint: an HTML page for every request. */
async function webPage(t: { after(fn: () => unknown): void }): Promise<number> {
  const server: HttpServer = createServer((_req, res) => res.writeHead(200, { "content-type": "text/html" }).end("<html><body>hello</body></html>"));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as { port: number }).port;
}

for (const scheme of ["http", "xmlrpc+http"] as const) {
  const kind = scheme === "http" ? "JSON-RPC" : "XML-RPC";

  test(`${scheme}:// connect() resolves against a farcall server and the first call answers`, async (t) => {
    const { port } = await farcallHttp(t, "k");
    const remote = await within(connect<typeof api>(`${scheme}://127.0.0.1:${port}/`, { authkey: "k" }), WAIT_MS, "connect");
    t.after(() => close(remote));
    assert.equal(await within(remote.add(1, 2), WAIT_MS, "add"), 3);
  });

  test(`${scheme}:// connect() to a dead port rejects with UNAVAILABLE`, async () => {
    const e = await rejection(connect(`${scheme}://127.0.0.1:${await freePort()}/`), WAIT_MS, "connect");
    assert.equal(e.code, "UNAVAILABLE");
    assert.match(e.message, /ECONNREFUSED/);
  });

  test(`${scheme}:// connect() with a wrong key rejects with UNAUTHENTICATED`, async (t) => {
    const { port } = await farcallHttp(t, "right");
    const e = await rejection(connect(`${scheme}://127.0.0.1:${port}/`, { authkey: "wrong" }), WAIT_MS, "connect");
    assert.equal(e.code, "UNAUTHENTICATED");
  });

  test(`${scheme}:// connect() to a path the server does not serve rejects with INVALID_REQUEST naming the URL`, async (t) => {
    const { port } = await farcallHttp(t);
    const url = `${scheme}://127.0.0.1:${port}/wrong`;
    const e = await rejection(connect(url), WAIT_MS, "connect");
    assert.equal(e.code, "INVALID_REQUEST");
    assert.equal(e.message, `${url} is not a farcall or ${kind} endpoint: it answered HTTP 404 (text/plain) to a ${kind} request`);
  });

  test(`${scheme}:// connect() to a web server that is no RPC endpoint rejects with INVALID_REQUEST`, async (t) => {
    const port = await webPage(t);
    const e = await rejection(connect(`${scheme}://127.0.0.1:${port}/`), WAIT_MS, "connect");
    assert.equal(e.code, "INVALID_REQUEST");
    assert.match(e.message, new RegExp(`is not a farcall or ${kind} endpoint: it answered HTTP 200 \\(text/html\\)`));
  });
}

test("an endpoint without introspection still counts: a JSON-RPC server answering METHOD_NOT_FOUND to rpc.discover", async (t) => {
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c));
    req.on("end", () => {
      const { id, method, params } = JSON.parse(body) as { id: number; method: string; params: number[] };
      const answer = method === "add" ? { jsonrpc: "2.0", id, result: params[0]! + params[1]! } : { jsonrpc: "2.0", id, error: { code: -32601, message: "Method not found" } };
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const remote = await within(connect<typeof api>(`http://127.0.0.1:${(server.address() as { port: number }).port}/`), WAIT_MS, "connect");
  t.after(() => close(remote));
  assert.equal(await within(remote.add(2, 3), WAIT_MS, "add"), 5);
});
