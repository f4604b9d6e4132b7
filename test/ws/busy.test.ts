// Past maxConnections a WebSocket client is told to come back later (close code 1013 and a
// reason naming the limit) and a plain HTTP client gets 503 with Retry-After, instead of a
// socket dropped unanswered (which a browser reports as 1006); the cost stays bounded.
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, request } from "node:http";
import { connect as netConnect, type AddressInfo } from "node:net";
import { describe, it, type TestContext } from "node:test";
import { WebSocket } from "ws";
import { attachWebSocket, close, connect, serve } from "../../src/index.js";
import { within } from "../helpers/bounded.js";

const api = { ping: () => "pong" };
const QUIET = { logger: false as const };

/** The close code and reason a raw WebSocket to `url` gets, asking for `protocol`. */
async function closeOf(url: string, protocol = "farcall.v1"): Promise<{ code: number; reason: string }> {
  const socket = new WebSocket(url, [protocol]);
  socket.on("error", () => {}); // the close event says what happened
  const [code, reason] = (await within(once(socket, "close"), 5000, "the refused WebSocket's close")) as [number, Buffer];
  return { code, reason: reason.toString("utf8") };
}

/** Status, Retry-After and body of a GET to `url`. */
function get(url: string): Promise<{ status: number; retryAfter: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers["retry-after"] as string | undefined, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** A server allowing one connection, with that one held by a working client. */
async function fullServer(t: TestContext, listen: string) {
  const server = await serve(api, { listen, maxConnections: 1, ...QUIET });
  t.after(() => server.close({ drainMs: 0 }));
  const url = server.addresses[0]!;
  const holder = await connect<typeof api>(url.startsWith("ws") ? url : `ws://${new URL(url).host}/`, QUIET);
  t.after(() => close(holder));
  assert.equal(await holder.ping(), "pong");
  return { host: new URL(url).host, holder };
}

for (const listen of ["tcp://127.0.0.1:0", "ws://127.0.0.1:0", "http://127.0.0.1:0"]) {
  describe(`past maxConnections on a ${listen.slice(0, listen.indexOf(":"))}:// listener`, () => {
    it("a WebSocket is closed with 1013 and a reason naming maxConnections; the connection held keeps working", async (t) => {
      const { host, holder } = await fullServer(t, listen);
      const { code, reason } = await closeOf(`ws://${host}/`);
      assert.equal(code, 1013);
      assert.match(reason, /1 connections reach maxConnections 1; try again later/);
      assert.equal(await holder.ping(), "pong");
    });

    it("connect() over ws:// rejects with UNAVAILABLE naming the close code and the limit", async (t) => {
      const { host } = await fullServer(t, listen);
      await assert.rejects(connect(`ws://${host}/`, { ...QUIET, connectTimeoutMs: 3000 }), (err: Error & { code?: string }) => {
        assert.equal(err.code, "UNAVAILABLE");
        assert.match(err.message, /1013.*maxConnections 1/);
        return true;
      });
    });

    it("a plain HTTP request gets 503 with Retry-After and the limit in its body", async (t) => {
      const { host } = await fullServer(t, listen);
      const answer = await get(`http://${host}/`);
      assert.equal(answer.status, 503);
      assert.equal(answer.retryAfter, "1");
      assert.match(answer.body, /maxConnections 1/);
    });

    it("60 silent sockets past the limit are all closed before the 2 s a refusal may take and the held connection keeps working", async (t) => {
      const { host, holder } = await fullServer(t, listen);
      const { port } = new URL(`ws://${host}/`);
      const started = Date.now();
      await within(
        Promise.all(
          Array.from({ length: 60 }, () => {
            const socket = netConnect(Number(port), "127.0.0.1");
            socket.on("error", () => {});
            return once(socket, "close");
          }),
        ),
        5000,
        "60 refused sockets",
      );
      // Silent sockets go after 50 ms; one held for its whole 2 s would mean they were not noticed.
      assert.ok(Date.now() - started < 1900, `closed after ${Date.now() - started} ms`);
      assert.equal(await holder.ping(), "pong");
    });
  });
}

it("attachWebSocket past maxConnections closes a WebSocket with 1013 naming the limit", async (t) => {
  const server = createServer((_req, res) => res.end("app"));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  t.after(() => server.close());
  const attached = attachWebSocket(server, api, { maxConnections: 1, ...QUIET });
  t.after(() => attached.close({ drainMs: 0 }));
  const base = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const holder = await connect<typeof api>(base, QUIET);
  t.after(() => close(holder));
  const { code, reason } = await closeOf(base);
  assert.equal(code, 1013);
  assert.match(reason, /maxConnections 1/);
  assert.equal(await holder.ping(), "pong");
});
