/**
 * JSON-RPC 2.0 mounted in Express: httpHandler() is middleware, served at the path it is
 * mounted on. A typed farcall client calls it by URL.
 * Run: node --import tsx examples/http-express.ts
 */
import express from "express";
import type { AddressInfo } from "node:net";
import { close, connect, httpHandler } from "../src/index.js";

const api = { add: (a: number, b: number) => a + b };

const app = express();
app.use("/rpc", httpHandler(api, { logger: false }));
const server = app.listen(0, "127.0.0.1");
await new Promise<void>((resolve) => server.once("listening", resolve));
const { port } = server.address() as AddressInfo;

const remote = await connect<typeof api>(`http://127.0.0.1:${port}/rpc`);
console.log(`express says: 2 + 3 = ${await remote.add(2, 3)}`);
await close(remote);
server.closeAllConnections();
server.close();
