/**
 * The capnweb client: newWebSocketRpcSession over a `ws` WebSocket (Node 20 has no global
 * WebSocket), awaiting each call's RpcPromise.
 */
import { once } from "node:events";
import "./ws-global.js";
import { newWebSocketRpcSession } from "capnweb";
import { WebSocket } from "ws";
import { runClient } from "../client-main.js";
import { promiseDrivers } from "../workloads.js";
import type { BenchApi } from "./api.js";

runClient(async (port) => {
  const socket = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 });
  await once(socket, "open");
  const api = newWebSocketRpcSession<BenchApi>(socket as never);
  return promiseDrivers({
    add: async (a, b) => await api.add(a, b),
    echo: async (data) => await api.echo(data),
    get: async (key) => await api.get(key),
    inc: async (key) => {
      await api.inc(key);
    },
    close: async () => {
      api[Symbol.dispose]();
      socket.close();
    },
  });
});
