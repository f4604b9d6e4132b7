/**
 * JSON-RPC 2.0 over HTTP: every status rule of src/http/rpc-core.ts, run against both
 * mounts (serve()'s http:// listener, which uses the node:http handler, and the Fetch-API
 * handler behind @hono/node-server), over real sockets on 127.0.0.1.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { connect as netConnect } from "node:net";
import { after, before, describe, it } from "node:test";
import { serve as honoServe, type HttpBindings, type Http2Bindings } from "@hono/node-server";
import { context, fetchHandler, RpcError, serve, type Server } from "../../src/index.js";
import { within } from "../helpers/bounded.js";

const AUTHKEY = "s3cret";
const WAIT_MS = 5000;
/** Small, so the size rules are cheap to exercise. */
const MAX_BODY = 4096;

/** What a test learns from the handler that served it. */
let lastPeer: { transport: string; authenticated: boolean; address: string } | undefined;
/** The members of the PeerInfo the last `whoami` saw, in order, and its port. */
let lastPeerKeys: string[] = [];
let lastPort: number | undefined;
let aborted: () => void = () => {};

const api = {
  echo: (x: unknown) => x,
  search: (options: { last_name: string }) => ({ found: options.last_name }),
  whoami: () => {
    const { transport, authenticated, address, port } = context().peer;
    lastPeer = { transport, authenticated, address };
    lastPeerKeys = Object.keys(context().peer);
    lastPort = port;
    return "ok";
  },
  refuse: () => {
    throw new RpcError("FAILED_PRECONDITION", "refused at once");
  },
  later: async (x: unknown) => {
    await new Promise((resolve) => setTimeout(resolve, 5));
    return x;
  },
  hang: () =>
    new Promise<string>((resolve) => {
      context().signal.addEventListener("abort", () => {
        aborted();
        resolve("aborted");
      });
    }),
};

interface Mount {
  name: string;
  /** The endpoint URL of an open server and of one requiring the authkey. */
  start(): Promise<{ open: string; locked: string; stop(): Promise<void> }>;
}

const MOUNTS: Mount[] = [
  {
    name: "node:http handler (serve() http:// listener)",
    async start() {
      const open = await serve(api, { listen: "http://127.0.0.1:0/rpc", logger: false, maxBodyBytes: MAX_BODY });
      const locked = await serve(api, { listen: "http://127.0.0.1:0/rpc", logger: false, maxBodyBytes: MAX_BODY, authkey: AUTHKEY });
      return {
        open: open.addresses[0]!,
        locked: locked.addresses[0]!,
        stop: async () => void (await Promise.all([open.close(), locked.close()])),
      };
    },
  },
  {
    name: "Fetch-API handler (@hono/node-server)",
    async start() {
      const mount = async (authkey?: string) => {
        const handler = fetchHandler(api, { logger: false, maxBodyBytes: MAX_BODY, ...(authkey ? { authkey } : {}) });
        const server = honoServe({
          fetch: (req: Request, env: HttpBindings | Http2Bindings) => handler(req, { address: env.incoming.socket.remoteAddress ?? "unknown" }),
          port: 0,
          hostname: "127.0.0.1",
        });
        await once(server, "listening");
        return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/rpc`, server };
      };
      const open = await mount();
      const locked = await mount(AUTHKEY);
      return {
        open: open.url,
        locked: locked.url,
        stop: async () => {
          for (const s of [open.server, locked.server]) {
            (s as { closeAllConnections?: () => void }).closeAllConnections?.();
            await new Promise((resolve) => s.close(resolve));
          }
        },
      };
    },
  },
];

const JSON_HEADERS = { "content-type": "application/json" };

function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return within(fetch(url, { method: "POST", headers: { ...JSON_HEADERS, ...headers }, body: typeof body === "string" ? body : JSON.stringify(body) }), WAIT_MS, "POST");
}

/** Sends raw bytes on a fresh socket; answers everything the server sends until it closes or `until` matches. */
async function raw(url: string, bytes: string, until?: RegExp): Promise<string> {
  const u = new URL(url);
  const socket = netConnect(Number(u.port), u.hostname);
  let text = "";
  const done = new Promise<void>((resolve) => {
    socket.on("data", (d: Buffer) => {
      text += d.toString("latin1");
      if (until?.test(text)) resolve();
    });
    socket.on("close", () => resolve());
    socket.on("error", () => resolve()); // a reset after the answer still leaves the answer in `text`
  });
  socket.write(bytes);
  await within(done, WAIT_MS, "raw HTTP exchange");
  socket.destroy();
  return text;
}

for (const mount of MOUNTS) {
  describe(`JSON-RPC over HTTP: ${mount.name}`, () => {
    let open: string;
    let locked: string;
    let stop: () => Promise<void>;
    before(async () => ({ open, locked, stop } = await mount.start()));
    after(() => stop());

    it("a POSTed request is answered 200 with its response", async () => {
      const res = await post(open, { jsonrpc: "2.0", method: "echo", params: ["hello world"], id: 1 });
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
      assert.deepEqual(await res.json(), { jsonrpc: "2.0", result: "hello world", id: 1 });
    });

    it("named params reach the handler as one options object", async () => {
      const res = await post(open, { jsonrpc: "2.0", method: "search", params: { last_name: "Python" }, id: "s" });
      assert.deepEqual(await res.json(), { jsonrpc: "2.0", result: { found: "Python" }, id: "s" });
    });

    it("a handler that answers at once, one that throws at once and one that waits each get their own response", async () => {
      assert.deepEqual(await (await post(open, { jsonrpc: "2.0", method: "echo", params: [[1, "a"]], id: 1 })).json(), { jsonrpc: "2.0", result: [1, "a"], id: 1 });
      const refused = (await (await post(open, { jsonrpc: "2.0", method: "refuse", id: "r" })).json()) as { error: { message: string; data?: { code?: string } }; id: unknown };
      assert.equal(refused.id, "r");
      assert.equal(refused.error.message, "refused at once");
      assert.equal(refused.error.data?.code, "FAILED_PRECONDITION");
      assert.deepEqual(await (await post(open, { jsonrpc: "2.0", method: "later", params: ["w"], id: 3 })).json(), { jsonrpc: "2.0", result: "w", id: 3 });
      const missing = (await (await post(open, { jsonrpc: "2.0", method: "nope", id: 4 })).json()) as { error: { code: number }; id: unknown };
      assert.deepEqual([missing.error.code, missing.id], [-32601, 4]);
    });

    it("a notification to a handler that throws at once is answered 204 with nothing", async () => {
      const res = await post(open, { jsonrpc: "2.0", method: "refuse" });
      assert.equal(res.status, 204);
      assert.equal(await res.text(), "");
    });

    it("an answer carries the Content-Length of its body in bytes, and a 204 carries none", async () => {
      const path = new URL(open).pathname;
      const head = (body: string): string => `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
      const text = await raw(open, head(JSON.stringify({ jsonrpc: "2.0", method: "echo", params: ["h\u00e9llo \u2603"], id: 1 })));
      const [answerHead, payload] = text.split("\r\n\r\n") as [string, string];
      assert.match(answerHead, /^HTTP\/1\.1 200 /);
      assert.equal(Number(/\r\ncontent-length: *(\d+)/i.exec(answerHead)?.[1]), Buffer.byteLength(payload, "latin1"));
      assert.equal(JSON.parse(Buffer.from(payload, "latin1").toString("utf8")).result, "h\u00e9llo \u2603");
      const none = await raw(open, head(JSON.stringify({ jsonrpc: "2.0", method: "echo", params: [1] })));
      assert.match(none, /^HTTP\/1\.1 204 /);
      assert.doesNotMatch(none, /content-length/i);
    });

    it("a batch is answered by an array", async () => {
      const res = await post(open, [
        { jsonrpc: "2.0", method: "echo", params: [1], id: 1 },
        { jsonrpc: "2.0", method: "echo", params: [2] },
        { jsonrpc: "2.0", method: "nope", id: 3 },
      ]);
      const body = (await res.json()) as { id: number }[];
      assert.deepEqual(body.map((r) => r.id), [1, 3]);
    });

    it("notifications only are answered 204 with no body", async () => {
      const res = await post(open, { jsonrpc: "2.0", method: "echo", params: [1] });
      assert.equal(res.status, 204);
      assert.equal(await res.text(), "");
    });

    it("a body that is not JSON is answered 200 with -32700 and id null", async () => {
      const res = await post(open, '{"jsonrpc": "2.0", "method": "echo", "params": ["bar", "baz"]');
      assert.equal(res.status, 200);
      const body = (await res.json()) as { error: { code: number }; id: unknown };
      assert.equal(body.error.code, -32700);
      assert.equal(body.id, null);
    });

    it("a Content-Type other than application/json is answered 415", async () => {
      const res = await within(fetch(open, { method: "POST", headers: { "content-type": "text/plain" }, body: "{}" }), WAIT_MS, "POST");
      assert.equal(res.status, 415);
      assert.equal(((await res.json()) as { error: { code: number } }).error.code, -32600);
    });

    it("application/json with a charset parameter is accepted", async () => {
      const res = await post(open, { jsonrpc: "2.0", method: "echo", params: [1], id: 1 }, { "content-type": "application/json; charset=utf-8" });
      assert.equal(res.status, 200);
    });

    it("verbs other than POST and GET are answered 405 with Allow", async () => {
      const res = await within(fetch(open, { method: "PUT", headers: JSON_HEADERS, body: "{}" }), WAIT_MS, "PUT");
      assert.equal(res.status, 405);
      assert.equal(res.headers.get("allow"), "POST, GET");
      await res.arrayBuffer();
    });

    it("GET without Accept: application/json is answered 405", async () => {
      // text/html would get the explorer page (test/http/explorer.test.ts).
      const res = await within(fetch(open, { headers: { accept: "text/plain" } }), WAIT_MS, "GET");
      assert.equal(res.status, 405);
      await res.arrayBuffer();
    });

    it("GET with Accept: application/json answers the OpenRPC document, as rpc.discover does", async () => {
      const res = await within(fetch(open, { headers: { accept: "application/json" } }), WAIT_MS, "GET");
      assert.equal(res.status, 200);
      const doc = (await res.json()) as { openrpc: string; methods: { name: string; params: unknown[] }[] };
      assert.equal(doc.openrpc, "1.2.6");
      assert.deepEqual(doc.methods.find((m) => m.name === "echo")?.params.length, 1);
      const viaRpc = await post(open, { jsonrpc: "2.0", method: "rpc.discover", id: 1 });
      assert.deepEqual(((await viaRpc.json()) as { result: unknown }).result, doc);
    });

    it("a Content-Length over maxBodyBytes is answered 413 before the body is read", async () => {
      const path = new URL(open).pathname;
      const text = await raw(open, `POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${20 * 1024 * 1024}\r\n\r\n{`, /\r\n\r\n[\s\S]*\}/);
      assert.match(text, /^HTTP\/1\.1 413 /);
      assert.match(text, /exceeds maxBodyBytes 4096/);
    });

    it("a chunked body growing past maxBodyBytes is answered 413 while it streams", async () => {
      const path = new URL(open).pathname;
      const chunk = "x".repeat(3000);
      const size = chunk.length.toString(16);
      const text = await raw(open, `POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${size}\r\n${chunk}\r\n${size}\r\n${chunk}\r\n`, /\r\n\r\n[\s\S]*\}/);
      assert.match(text, /^HTTP\/1\.1 413 /);
    });

    it("deeper nesting than maxDepth is refused with RESOURCE_EXHAUSTED and id null", async () => {
      const res = await post(open, "[".repeat(100) + "]".repeat(100));
      const body = (await res.json()) as { error: { code: number }; id: unknown };
      assert.equal(body.error.code, -32005);
      assert.equal(body.id, null);
    });

    it("a missing bearer token is answered 401 with WWW-Authenticate and a JSON-RPC error", async () => {
      const res = await post(locked, { jsonrpc: "2.0", method: "echo", params: [1], id: 1 });
      assert.equal(res.status, 401);
      assert.match(res.headers.get("www-authenticate") ?? "", /^Bearer /);
      const body = (await res.json()) as { error: { code: number }; id: unknown };
      assert.equal(body.error.code, -32001);
    });

    it("a wrong bearer token is answered 401", async () => {
      const res = await post(locked, { jsonrpc: "2.0", method: "echo", params: [1], id: 1 }, { authorization: "Bearer s3creT" });
      assert.equal(res.status, 401);
      await res.arrayBuffer();
    });

    it("the authkey as bearer token calls, and the handler sees an authenticated http peer", async () => {
      const res = await post(locked, { jsonrpc: "2.0", method: "whoami", id: 1 }, { authorization: `Bearer ${AUTHKEY}` });
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { jsonrpc: "2.0", result: "ok", id: 1 });
      assert.equal(lastPeer?.transport, "http");
      assert.equal(lastPeer?.authenticated, true);
      assert.match(lastPeer?.address ?? "", /127\.0\.0\.1/);
    });

    it("a keyless caller's peer holds its transport, address, port (where the mount knows it) and authenticated false, nothing else", async () => {
      assert.equal(((await (await post(open, { jsonrpc: "2.0", method: "whoami", id: 1 })).json()) as { result: unknown }).result, "ok");
      assert.deepEqual(lastPeerKeys.filter((k) => k !== "port"), ["transport", "address", "authenticated"]);
      assert.equal(lastPeer?.authenticated, false);
      if (lastPeerKeys.includes("port")) assert.ok(Number.isInteger(lastPort) && lastPort! > 0, `port ${lastPort}`);
      if (mount.name.startsWith("node:http")) assert.deepEqual(lastPeerKeys, ["transport", "address", "port", "authenticated"]);
    });

    it("with X-Farcall-Codec: json-ext, extended values travel in the tagged form", async () => {
      const date = { "$farcall:date": "2020-01-02T03:04:05.000Z" };
      const big = { "$farcall:bigint": "12345678901234567890" };
      const res = await post(open, { jsonrpc: "2.0", method: "echo", params: [[date, big]], id: 1 }, { "x-farcall-codec": "json-ext" });
      assert.equal(res.headers.get("x-farcall-codec"), "json-ext");
      assert.deepEqual(((await res.json()) as { result: unknown }).result, [date, big]);
    });

    it("without the header, extended values are plain JSON", async () => {
      const res = await post(open, { jsonrpc: "2.0", method: "echo", params: [{ "$farcall:bigint": "1" }], id: 1 });
      assert.deepEqual(((await res.json()) as { result: unknown }).result, { "$farcall:bigint": "1" });
    });

    it("a caller that disconnects aborts the handler's signal", async () => {
      const gotAbort = new Promise<void>((resolve) => (aborted = resolve));
      const controller = new AbortController();
      const call = fetch(open, { method: "POST", headers: JSON_HEADERS, body: JSON.stringify({ jsonrpc: "2.0", method: "hang", id: 1 }), signal: controller.signal });
      call.catch(() => {}); // aborted on purpose below
      // The handler is running once the server has read the request; abort right after.
      setImmediate(() => setTimeout(() => controller.abort(), 50));
      await within(gotAbort, WAIT_MS, "the handler's signal aborting");
    });

    it("keep-alive: pipelined requests on one socket are answered in order", async () => {
      const path = new URL(open).pathname;
      const request = (id: number): string => {
        const body = JSON.stringify({ jsonrpc: "2.0", method: "echo", params: [id], id });
        return `POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
      };
      const text = await raw(open, request(1) + request(2) + request(3), /"id":3\}/);
      const ids = [...text.matchAll(/"result":(\d)/g)].map((m) => Number(m[1]));
      assert.deepEqual(ids, [1, 2, 3]);
      assert.equal(text.match(/HTTP\/1\.1 200/g)?.length, 3);
    });
  });
}

describe("the http:// listener of serve()", () => {
  let server: Server;
  before(async () => (server = await serve(api, { listen: "http://127.0.0.1:0/rpc", logger: false })));
  after(() => server.close());

  it("answers 404 outside its path", async () => {
    const res = await within(fetch(server.addresses[0]!.replace("/rpc", "/other"), { method: "POST", headers: JSON_HEADERS, body: "{}" }), WAIT_MS, "POST");
    assert.equal(res.status, 404);
    await res.arrayBuffer();
  });

  it("answers 403 to an address outside the allow list", async () => {
    const fenced = await serve(api, { listen: "http://127.0.0.1:0/rpc", logger: false, allow: ["10.0.0.0/8"] });
    try {
      const res = await post(fenced.addresses[0]!, { jsonrpc: "2.0", method: "echo", params: [1], id: 1 });
      assert.equal(res.status, 403);
      assert.equal(((await res.json()) as { error: { code: number } }).error.code, -32002);
    } finally {
      await fenced.close();
    }
  });

  it("close() lets a request in flight finish, then closes the connection", async () => {
    let release: () => void = () => {};
    const started = new Promise<void>((resolve) => {
      release = resolve;
    });
    let finish: (v: string) => void = () => {};
    const slow = await serve(
      { slow: () => new Promise<string>((resolve) => { finish = resolve; release(); }) },
      { listen: "http://127.0.0.1:0/rpc", logger: false },
    );
    const call = post(slow.addresses[0]!, { jsonrpc: "2.0", method: "slow", id: 1 });
    await within(started, WAIT_MS, "the slow handler starting");
    const closed = slow.close({ drainMs: WAIT_MS });
    finish("done");
    const res = await call;
    assert.deepEqual(await res.json(), { jsonrpc: "2.0", result: "done", id: 1 });
    await within(closed, WAIT_MS, "close()");
    assert.equal(slow.connections, 0);
  });
});
