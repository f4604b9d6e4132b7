// attachWebSocket(): farcall's WebSocket upgrades on an Express app's own port, beside the
// app's routes and its own WebSocket endpoint.
import assert from "node:assert/strict";
import { once } from "node:events";
import type { Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import express from "express";
import { WebSocket, WebSocketServer } from "ws";
import { attachWebSocket, connect, type AttachedWebSocket } from "../../src/index.js";
import { rejection, within } from "../helpers/bounded.js";

const api = { add: (a: number, b: number) => a + b };

async function expressApp(): Promise<{ server: HttpServer; base: string }> {
  const app = express();
  app.get("/hello", (_req, res) => {
    res.send("hello from express");
  });
  const server = app.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { server, base: `127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function dispose(remote: unknown): Promise<void> {
  await (remote as { [Symbol.asyncDispose](): Promise<void> })[Symbol.asyncDispose]();
}

describe("attachWebSocket on an Express app's server", () => {
  let app: { server: HttpServer; base: string };
  let attached: AttachedWebSocket;
  let chat: WebSocketServer;

  before(async () => {
    app = await expressApp();
    // The app's own WebSocket endpoint, which farcall must leave alone.
    chat = new WebSocketServer({ noServer: true });
    chat.on("connection", (socket) => socket.on("message", (data) => socket.send(`echo ${String(data)}`)));
    app.server.on("upgrade", (req, socket, head) => {
      if (req.url === "/chat") chat.handleUpgrade(req, socket, head, (ws) => chat.emit("connection", ws, req));
    });
    attached = attachWebSocket(app.server, api, { authkey: "k", path: "/farcall", logger: false });
  });

  after(async () => {
    await attached.close({ drainMs: 0 });
    chat.close();
    app.server.closeAllConnections();
    app.server.close();
  });

  it("a farcall client calls over ws:// on the app's port, with the authkey proved in the handshake", async () => {
    const remote = await connect<typeof api>(`ws://${app.base}/farcall`, { authkey: "k", logger: false });
    assert.equal(await remote.add(2, 3), 5);
    assert.equal(attached.connections, 1);
    await dispose(remote);
    const wrong = await rejection(connect<typeof api>(`ws://${app.base}/farcall`, { authkey: "wrong", logger: false, reconnect: false }), 5000, "a wrong key");
    assert.equal(wrong.code, "UNAUTHENTICATED");
  });

  it("the app's routes and its own WebSocket endpoint keep working", async () => {
    assert.equal(await (await fetch(`http://${app.base}/hello`)).text(), "hello from express");
    const socket = new WebSocket(`ws://${app.base}/chat`);
    await within(once(socket, "open"), 5000, "the app's socket");
    socket.send("hi");
    const [data] = await within(once(socket, "message"), 5000, "the app's echo");
    assert.equal(String(data), "echo hi");
    socket.close();
  });

  it("an upgrade at another path is not farcall's", async () => {
    const error = await rejection(connect<typeof api>(`ws://${app.base}/elsewhere`, { authkey: "k", logger: false, reconnect: false, connectTimeoutMs: 1000 }), 5000, "another path");
    assert.equal(error.code, "UNAVAILABLE");
  });

  it("close() ends farcall's sessions with UNAVAILABLE and leaves the app serving", async () => {
    const other = await expressApp();
    const mine = attachWebSocket(other.server, api, { logger: false });
    const remote = await connect<typeof api>(`ws://${other.base}/`, { logger: false, reconnect: false });
    assert.equal(await remote.add(1, 1), 2);
    await mine.close({ drainMs: 100 });
    const after = await rejection(remote.add(1, 1), 5000, "a call after close");
    assert.equal(after.code, "UNAVAILABLE");
    assert.equal(mine.connections, 0);
    assert.equal(await (await fetch(`http://${other.base}/hello`)).text(), "hello from express");
    other.server.closeAllConnections();
    other.server.close();
  });

  it("an upgrade offering none of farcall's subprotocols, on a server with no other upgrade listener, is answered 400", async () => {
    const other = await expressApp();
    const mine = attachWebSocket(other.server, api, { logger: false });
    const socket = new WebSocket(`ws://${other.base}/`, ["chat.v2"]);
    socket.on("error", () => {});
    const [, res] = (await within(once(socket, "unexpected-response"), 5000, "the refusal")) as [unknown, { statusCode: number }];
    assert.equal(res.statusCode, 400);
    socket.terminate();
    await mine.close({ drainMs: 0 });
    other.server.closeAllConnections();
    other.server.close();
  });

  it("a bad path option fails at once, naming it", () => {
    assert.throws(() => attachWebSocket(app.server, api, { path: "farcall" }), /path must start with "\/", got "farcall"/);
  });
});
