// Which web pages may open a WebSocket (cross-site WebSocket hijacking): a page of another
// origin may not open a keyless WebSocket on a listener, since a browser would let any site
// a visitor opens call it; its own origin, allowOrigins, programs (no Origin header) and
// farcall.v1 on a listener with an authkey may.
import assert from "node:assert/strict";
import { once } from "node:events";
import type { IncomingMessage } from "node:http";
import { describe, it } from "node:test";
import { WebSocket } from "ws";
import { connect, serve } from "../../src/index.js";
import { within } from "../helpers/bounded.js";

const api = { add: (a: number, b: number) => a + b };

/** The HTTP status an upgrade from a page of `origin` gets: 101 when it opens. */
async function upgradeStatus(url: string, protocol: string, origin?: string): Promise<{ status: number; body: string }> {
  const socket = new WebSocket(url, [protocol], origin ? { origin } : {});
  socket.on("error", () => {});
  const outcome = await within(
    Promise.race([
      once(socket, "open").then(() => ({ status: 101, body: "" })),
      once(socket, "unexpected-response").then(async ([, res]) => {
        let body = "";
        for await (const chunk of res as IncomingMessage) body += String(chunk);
        return { status: (res as IncomingMessage).statusCode ?? 0, body };
      }),
    ]),
    5000,
    "the upgrade's answer",
  );
  socket.terminate();
  return outcome;
}

describe("WebSocket upgrades from web pages", () => {
  it("a page of another origin is refused 403 on a keyless listener, for both subprotocols, naming allowOrigins", async () => {
    const server = await serve(api, { listen: "tcp://127.0.0.1:0", logger: false });
    const url = `${server.addresses[0]!.replace(/^tcp:/, "ws:")}/`;
    try {
      for (const protocol of ["farcall.v1", "jsonrpc-2.0"]) {
        const refused = await upgradeStatus(url, protocol, "http://evil.example");
        assert.equal(refused.status, 403, protocol);
        assert.match(refused.body, /a page of http:\/\/evil\.example may not open a .* WebSocket here: .*allowOrigins/);
      }
      // The listener's own origin, and a program (no Origin), may.
      assert.equal((await upgradeStatus(url, "jsonrpc-2.0", url.replace(/^ws:/, "http:").replace(/\/$/, ""))).status, 101);
      assert.equal((await upgradeStatus(url, "jsonrpc-2.0")).status, 101);
      const remote = await connect<typeof api>(url, { logger: false });
      assert.equal(await remote.add(1, 2), 3);
      await (remote as unknown as { [Symbol.asyncDispose](): Promise<void> })[Symbol.asyncDispose]();
    } finally {
      await server.close({ drainMs: 0 });
    }
  });

  it("allowOrigins lets a named origin in, and no other", async () => {
    const server = await serve(api, { listen: "ws://127.0.0.1:0", allowOrigins: ["http://localhost:5173"], logger: false });
    try {
      assert.equal((await upgradeStatus(server.addresses[0]!, "jsonrpc-2.0", "http://localhost:5173")).status, 101);
      assert.equal((await upgradeStatus(server.addresses[0]!, "jsonrpc-2.0", "http://localhost:5174")).status, 403);
    } finally {
      await server.close({ drainMs: 0 });
    }
  });

  it("farcall.v1 on a listener with an authkey is open to any page: the handshake proves the key", async () => {
    const server = await serve(api, { listen: "tcp://127.0.0.1:0", authkey: "k", logger: false });
    try {
      assert.equal((await upgradeStatus(`${server.addresses[0]!.replace(/^tcp:/, "ws:")}/`, "farcall.v1", "http://elsewhere.example")).status, 101);
    } finally {
      await server.close({ drainMs: 0 });
    }
  });

  it("an allowOrigins entry that is not an origin fails at startup, naming it", async () => {
    await assert.rejects(serve(api, { listen: "tcp://127.0.0.1:0", allowOrigins: ["http://localhost:5173/app"], logger: false }), /allowOrigins: "http:\/\/localhost:5173\/app" is not an origin/);
  });
});
