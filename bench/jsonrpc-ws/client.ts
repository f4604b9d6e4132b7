/**
 * The JSON-RPC 2.0 peer client: the json-rpc-2.0 package's JSONRPCClient over one ws
 * WebSocket.
 */
import { JSONRPCClient } from "json-rpc-2.0";
import { WebSocket, type RawData } from "ws";
import { runClient } from "../client-main.js";
import { promiseDrivers, type BenchClient } from "../workloads.js";

async function open(port: number): Promise<BenchClient> {
  const socket = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 });
  await new Promise<void>((resolve, reject) => {
    socket.once("open", resolve);
    socket.once("error", reject);
  });
  const rpc = new JSONRPCClient((request: unknown) => socket.send(JSON.stringify(request)));
  socket.on("message", (data: RawData) => rpc.receive(JSON.parse(data.toString())));
  socket.on("close", () => rpc.rejectAllPendingRequests("connection closed"));
  return {
    add: async (a, b) => (await rpc.request("add", [a, b])) as number,
    echo: async (data) => {
      const echoed = (await rpc.request("echo", [Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("base64")])) as string;
      return Buffer.from(echoed, "base64");
    },
    get: async (key) => (await rpc.request("get", [key])) as number,
    inc: async (key) => {
      await rpc.request("inc", [key]);
    },
    close: async () => socket.close(),
  };
}

runClient(async (port) => promiseDrivers(await open(port)));
