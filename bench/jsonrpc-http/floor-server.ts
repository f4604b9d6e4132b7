/**
 * The floor of JSON-RPC over HTTP: a bare node:http handler that reads the body, parses it
 * with JSON.parse, runs the method from a switch and answers JSON.stringify of the response,
 * with keep-alive. No checks beyond what answering needs: whatever farcall's http://
 * listener does on top (validation, limits, dispatch, context) is its cost over this.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { announcePort, die, watchParent } from "../child.js";

const counts = new Map<string, number>();

function run(method: string, params: unknown[]): unknown {
  switch (method) {
    case "add":
      return (params[0] as number) + (params[1] as number);
    case "echo":
      return params[0];
    case "counter.get":
      return counts.get(params[0] as string) ?? 0;
    case "counter.inc":
      counts.set(params[0] as string, (counts.get(params[0] as string) ?? 0) + 1);
      return null;
    default:
      throw new Error(`no method ${method}`);
  }
}

function onRequest(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    const doc = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { id: number; method: string; params: unknown[] };
    const body = JSON.stringify({ jsonrpc: "2.0", id: doc.id, result: run(doc.method, doc.params) });
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    res.end(body);
  });
}

watchParent();
const server = createServer({ keepAliveTimeout: 60_000 }, onRequest);
server.on("error", die);
server.listen(0, "127.0.0.1", () => announcePort((server.address() as AddressInfo).port));
