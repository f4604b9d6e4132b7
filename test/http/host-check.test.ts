/**
 * DNS rebinding: a keyless listener bound to loopback answers HTTP requests and WebSocket
 * upgrades addressed to loopback names only (and to the names `allowHosts` lists), because a
 * page whose DNS name was pointed at 127.0.0.1 is that listener's same-origin caller.
 */
import assert from "node:assert/strict";
import { request } from "node:http";
import { describe, it } from "node:test";
import WebSocket from "ws";
import { serve, type Server } from "../../src/index.js";
import { hostName, isLoopbackName, rebindingGuard } from "../../src/http/host-check.js";

const api = { add: (a: number, b: number) => a + b };
const CALL = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "add", params: [2, 3] });

/** POSTs a JSON-RPC call to `port` with the given Host header; resolves to status and body. */
function post(port: number, host: string, path = "/", auth?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, method: "POST", setHost: false, headers: { host, "content-type": "application/json", ...(auth ? { authorization: `Bearer ${auth}` } : {}) } }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode!, body }));
    });
    req.on("error", reject);
    req.end(CALL);
  });
}

/** Opens a jsonrpc-2.0 WebSocket to `port` with the given Host; resolves to the refusal status, or 101. */
function upgrade(port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, "jsonrpc-2.0", { headers: { host } });
    ws.on("open", () => {
      ws.close();
      resolve(101);
    });
    ws.on("unexpected-response", (_req, res) => {
      resolve(res.statusCode!);
      ws.terminate();
    });
    ws.on("error", (err) => (err.message.includes("Unexpected server response") ? undefined : reject(err)));
  });
}

async function withServer(options: Parameters<typeof serve>[1], fn: (server: Server, port: number) => Promise<void>): Promise<void> {
  const server = await serve(api, { logger: false, ...options });
  try {
    await fn(server, Number(new URL(server.addresses[0]!).port));
  } finally {
    await server.close();
  }
}

describe("DNS rebinding on a keyless loopback listener", () => {
  it("a request addressed to another name is refused 403 PERMISSION_DENIED naming allowHosts, and nothing runs", async () => {
    await withServer({ listen: "tcp://127.0.0.1:0" }, async (_server, port) => {
      const { status, body } = await post(port, `rebound.example:${port}`);
      assert.equal(status, 403);
      const answer = JSON.parse(body) as { error: { code: number; message: string; data?: { code?: string } } };
      assert.match(answer.error.message, /DNS rebinding.*allowHosts/);
      assert.ok(!body.includes('"result"'));
    });
  });

  it("requests addressed to localhost, 127.0.0.1 and a *.localhost name are answered", async () => {
    await withServer({ listen: "tcp://127.0.0.1:0" }, async (_server, port) => {
      for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `app.localhost:${port}`, "LOCALHOST"]) {
        const { status, body } = await post(port, host);
        assert.equal(status, 200, host);
        assert.equal((JSON.parse(body) as { result: number }).result, 5, host);
      }
    });
  });

  it("allowHosts adds names, on the one port and on http:// listeners", async () => {
    await withServer({ listen: ["tcp://127.0.0.1:0", "http://127.0.0.1:0/rpc"], allowHosts: ["MyApp.example"] }, async (server) => {
      const httpPort = Number(new URL(server.addresses[1]!).port);
      assert.equal((await post(Number(new URL(server.addresses[0]!).port), "myapp.example")).status, 200);
      assert.equal((await post(httpPort, `myapp.example:${httpPort}`, "/rpc")).status, 200);
      assert.equal((await post(httpPort, `other.example:${httpPort}`, "/rpc")).status, 403);
    });
  });

  it("a WebSocket upgrade addressed to another name is refused 403 before its Origin is judged", async () => {
    await withServer({ listen: "tcp://127.0.0.1:0" }, async (_server, port) => {
      assert.equal(await upgrade(port, `rebound.example:${port}`), 403);
      assert.equal(await upgrade(port, `localhost:${port}`), 101);
    });
  });

  it("a listener with a key is not guarded by name: the key is proved by every call", async () => {
    await withServer({ listen: "tcp://127.0.0.1:0", authkey: "k" }, async (_server, port) => {
      assert.equal((await post(port, `rebound.example:${port}`)).status, 401);
      assert.equal((await post(port, `rebound.example:${port}`, "/", "k")).status, 200);
    });
  });

  it("the guard applies only to keyless listeners bound to loopback, and reads Host as browsers send it", () => {
    assert.equal(rebindingGuard("0.0.0.0", false, new Set()), undefined);
    assert.equal(rebindingGuard("127.0.0.1", true, new Set()), undefined);
    const guard = rebindingGuard("[::1]", false, new Set(["proxy.example"]))!;
    assert.equal(guard("[::1]:4343"), undefined);
    assert.equal(guard("proxy.example:443"), undefined);
    assert.equal(guard(undefined), undefined);
    assert.match(guard("evil.example")!, /DNS rebinding/);
    assert.equal(hostName("[::1]:80"), "::1");
    assert.equal(hostName("Example.COM:8080"), "example.com");
    assert.ok(isLoopbackName("127.1.2.3") && isLoopbackName("a.b.localhost") && !isLoopbackName("localhost.evil.example"));
  });

  it("the Host it accepted last does not open the door to another: each name is judged, in any order", async () => {
    const guard = rebindingGuard("127.0.0.1", false, new Set())!;
    for (let round = 0; round < 2; round++) {
      assert.equal(guard("127.0.0.1:4343"), undefined);
      assert.match(guard("evil.example:4343")!, /DNS rebinding/);
      assert.match(guard("127.0.0.1.evil.example")!, /DNS rebinding/);
      assert.equal(guard("127.0.0.1:4343"), undefined);
    }
    await withServer({ listen: "http://127.0.0.1:0/" }, async (_server, port) => {
      assert.equal((await post(port, `127.0.0.1:${port}`)).status, 200);
      assert.equal((await post(port, `rebound.example:${port}`)).status, 403);
      assert.equal((await post(port, `127.0.0.1:${port}`)).status, 200);
    });
  });

  it("allowHosts must be host names", async () => {
    await assert.rejects(serve(api, { listen: "tcp://127.0.0.1:0", allowHosts: ["http://x.example"] }), /allowHosts: "http:\/\/x.example" is not a host name/);
  });
});
