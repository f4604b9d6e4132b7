/**
 * farcall over WebSocket on an Express app's own port: attachWebSocket() takes the upgrades
 * at /farcall, beside the app's routes; the client calls over ws:// with the authkey, and
 * the server calls the client back through a callback it was given.
 * Run: node --import tsx examples/ws-express.ts
 */
import express from "express";
import type { AddressInfo } from "node:net";
import { attachWebSocket, close, connect } from "../src/index.js";

const api = {
  /** Counts down from n, telling the caller each step through its callback. */
  async countdown(n: number, tick: (left: number) => Promise<void>): Promise<string> {
    for (let left = n; left > 0; left--) await tick(left);
    return "liftoff";
  },
};

const app = express();
app.get("/health", (_req, res) => {
  res.send("ok");
});
const server = app.listen(0, "127.0.0.1");
await new Promise<void>((resolve) => server.once("listening", resolve));
const attached = attachWebSocket(server, api, { authkey: "s3cret", path: "/farcall", logger: false });
const { port } = server.address() as AddressInfo;

const remote = await connect<typeof api>(`ws://127.0.0.1:${port}/farcall`, { authkey: "s3cret", logger: false });
const ticks: number[] = [];
const outcome = await remote.countdown(3, async (left) => void ticks.push(left));
console.log(`express /health says ${await (await fetch(`http://127.0.0.1:${port}/health`)).text()}`);
console.log(`over ws: ${ticks.join(", ")}, ${outcome}`);
await close(remote);
await attached.close({ drainMs: 0 });
server.closeAllConnections();
server.close();
