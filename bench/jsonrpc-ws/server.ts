/**
 * The JSON-RPC 2.0 peer server: the json-rpc-2.0 package's JSONRPCServer behind a ws
 * WebSocketServer, one JSON document per message. Bytes travel as base64 strings, as JSON
 * has no binary type.
 */
import type { AddressInfo } from "node:net";
import { JSONRPCServer } from "json-rpc-2.0";
import { WebSocketServer, type RawData, type WebSocket } from "ws";
import { announcePort, die, watchParent } from "../child.js";

const counters = new Map<string, number>();

const rpc = new JSONRPCServer();
rpc.addMethod("add", ([a, b]: [number, number]) => a + b);
rpc.addMethod("echo", ([data]: [string]) => data);
rpc.addMethod("get", ([key]: [string]) => counters.get(key) ?? 0);
rpc.addMethod("inc", ([key]: [string]) => {
  counters.set(key, (counters.get(key) ?? 0) + 1);
  return null;
});

function onConnection(socket: WebSocket): void {
  socket.on("message", (data: RawData) => {
    rpc.receiveJSON(data.toString()).then(
      (response) => {
        if (response) socket.send(JSON.stringify(response));
      },
      (error: unknown) => process.stderr.write(`json-rpc server: ${String(error)}\n`),
    );
  });
  socket.on("error", () => socket.terminate());
}

watchParent();
const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 });
wss.on("connection", onConnection);
wss.on("error", die);
wss.on("listening", () => announcePort((wss.address() as AddressInfo).port));
