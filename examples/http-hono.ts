/**
 * JSON-RPC 2.0 in Hono through the Fetch-API handler: `(Request) => Promise<Response>` fits
 * any framework that speaks Fetch.
 * Run: node --import tsx examples/http-hono.ts
 */
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import type { AddressInfo } from "node:net";
import { fetchHandler } from "../src/index.js";

const api = { upper: (text: string) => text.toUpperCase() };
const rpc = fetchHandler(api, { logger: false });

const app = new Hono();
app.all("/rpc", (c) => rpc(c.req.raw));
const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" });
await new Promise<void>((resolve) => server.once("listening", resolve));
const { port } = server.address() as AddressInfo;

const res = await fetch(`http://127.0.0.1:${port}/rpc`, {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ jsonrpc: "2.0", method: "upper", params: ["hono"], id: 1 }),
});
const { result } = (await res.json()) as { result: string };
console.log(`hono says: ${result}`);
(server as { closeAllConnections?: () => void }).closeAllConnections?.();
server.close();
