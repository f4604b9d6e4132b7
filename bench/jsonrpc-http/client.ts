/**
 * The client of both JSON-RPC-over-HTTP contenders (the bare node:http floor and farcall's
 * http:// listener): one JSON-RPC request per POST over keep-alive connections, through a
 * node:http Agent of at most HTTP_CONNECTIONS sockets. W1 uses one of them; W2's calls in
 * flight share all of them, so at most HTTP_CONNECTIONS requests are on the wire at once
 * (HTTP/1.1 answers one request per connection at a time). The same client for both servers,
 * so the difference between them is the server's.
 */
import { Agent, request } from "node:http";
import { runClient } from "../client-main.js";
import { promiseDrivers, type BenchClient } from "../workloads.js";

/** Keep-alive connections at most: the "64 concurrent" of the HTTP figures. */
export const HTTP_CONNECTIONS = 64;

function open(port: number): BenchClient {
  const agent = new Agent({ keepAlive: true, maxSockets: HTTP_CONNECTIONS });
  let nextId = 1;
  const call = (method: string, params: unknown[]): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      const body = JSON.stringify({ jsonrpc: "2.0", id, method, params });
      const req = request({ host: "127.0.0.1", port, path: "/rpc", method: "POST", agent, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } });
      req.on("error", reject);
      req.on("response", (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", reject);
        res.on("end", () => {
          const answer = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { id: number; result?: unknown; error?: { message: string } };
          if (answer.error || answer.id !== id) reject(new Error(`${method}: ${answer.error?.message ?? `answer to id ${answer.id}, expected ${id}`}`));
          else resolve(answer.result);
        });
      });
      req.end(body);
    });
  return {
    add: async (a, b) => (await call("add", [a, b])) as number,
    echo: async (data) => {
      const echoed = (await call("echo", [Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("base64")])) as string;
      return Buffer.from(echoed, "base64");
    },
    get: async (key) => (await call("counter.get", [key])) as number,
    inc: async (key) => {
      await call("counter.inc", [key]);
    },
    close: async () => agent.destroy(),
  };
}

runClient(async (port) => promiseDrivers(open(port)));
