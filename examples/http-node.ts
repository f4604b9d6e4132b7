/**
 * JSON-RPC 2.0 over plain node:http: httpHandler() is an ordinary request listener.
 * Run: node --import tsx examples/http-node.ts
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { httpHandler } from "../src/index.js";

const api = { greet: (name: string) => `hello, ${name}` };

const server = createServer(httpHandler(api, { logger: false }));
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const { port } = server.address() as AddressInfo;

const res = await fetch(`http://127.0.0.1:${port}/`, {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ jsonrpc: "2.0", method: "greet", params: ["node:http"], id: 1 }),
});
const { result } = (await res.json()) as { result: string };
console.log(`node:http says: ${result}`);
server.closeAllConnections();
server.close();
