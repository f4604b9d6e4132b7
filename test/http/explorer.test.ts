// The explorer page as HTTP: who gets it, with which headers, and how to turn it off.
// Its behaviour in a browser is test/browser/explorer.test.ts.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import { httpHandler, serve } from "../../src/index.js";
import { EXPLORER_SCRIPT } from "../../src/http/explorer-page.js";

const api = { secretMethodName: () => 1 };
const HTML = { accept: "text/html,application/xhtml+xml,*/*;q=0.8" };

async function withServer<T>(options: Parameters<typeof serve>[1], run: (base: string) => Promise<T>): Promise<T> {
  const server = await serve(api, { logger: false, ...options });
  try {
    return await run(server.addresses[0]!.replace(/^tcp:/, "http:"));
  } finally {
    await server.close({ drainMs: 0 });
  }
}

describe("the explorer page", () => {
  it("a browser's GET / on the one port gets the page, without credentials, naming no method", async () => {
    await withServer({ listen: "tcp://127.0.0.1:0", authkey: "k" }, async (base) => {
      const res = await fetch(`${base}/`, { headers: HTML });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8");
      const body = await res.text();
      assert.match(body, /<title>farcall explorer<\/title>/);
      assert.ok(!body.includes("secretMethodName"), "the method list comes from an authenticated call, not the page");
      // The method list itself still needs the key.
      const discover = await fetch(`${base}/`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"jsonrpc":"2.0","id":1,"method":"rpc.discover"}' });
      assert.equal(discover.status, 401);
    });
  });

  it("the page runs only its own script, refuses framing and leaks no referrer", async () => {
    await withServer({ listen: "http://127.0.0.1:0/rpc" }, async (base) => {
      const res = await fetch(base, { headers: HTML });
      assert.equal(res.status, 200);
      const csp = res.headers.get("content-security-policy")!;
      const hash = createHash("sha256").update(EXPLORER_SCRIPT).digest("base64");
      assert.match(csp, new RegExp(`script-src 'sha256-${hash.replace(/[+/]/g, "\\$&")}'`));
      assert.match(csp, /frame-ancestors 'none'/);
      assert.match(csp, /connect-src 'self'/);
      assert.ok(!csp.includes("unsafe-eval") && !/script-src[^;]*unsafe-inline/.test(csp));
      assert.equal(res.headers.get("x-frame-options"), "DENY");
      assert.equal(res.headers.get("referrer-policy"), "no-referrer");
      assert.equal(res.headers.get("cache-control"), "no-store");
    });
  });

  it("the page's script is valid JavaScript", () => {
    assert.doesNotThrow(() => new Function(EXPLORER_SCRIPT));
  });

  it("explorer: false answers a browser's GET as before: 405 naming what the endpoint takes", async () => {
    await withServer({ listen: "tcp://127.0.0.1:0", explorer: false }, async (base) => {
      const res = await fetch(`${base}/`, { headers: HTML });
      assert.equal(res.status, 405);
      assert.match(((await res.json()) as { error: { message: string } }).error.message, /HTTP GET is not supported: POST a JSON-RPC/);
    });
  });

  it("GET with Accept: application/json still gets the OpenRPC document", async () => {
    await withServer({ listen: "tcp://127.0.0.1:0" }, async (base) => {
      const res = await fetch(`${base}/`, { headers: { accept: "application/json" } });
      assert.equal(((await res.json()) as { methods: { name: string }[] }).methods[0]!.name, "secretMethodName");
    });
  });

  it("httpHandler() serves the page only when asked (explorer: true)", async () => {
    for (const [explorer, status] of [[undefined, 405], [true, 200]] as const) {
      const server = createServer(httpHandler(api, { logger: false, ...(explorer ? { explorer } : {}) }));
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      try {
        const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, { headers: HTML });
        assert.equal(res.status, status, `explorer: ${explorer}`);
      } finally {
        server.close();
      }
    }
  });

  it("a non-boolean explorer option fails at startup, naming it", async () => {
    await assert.rejects(serve(api, { listen: "tcp://127.0.0.1:0", explorer: "yes" as never, logger: false }), /explorer must be true or false, got "yes"/);
  });
});
