/**
 * The capnweb server: one RPC session per WebSocket (the `ws` package, as capnweb's README
 * shows for Node), no compression, a 64 MiB message limit as the other WebSocket servers.
 */
import type { AddressInfo } from "node:net";
import "./ws-global.js";
import { newWebSocketRpcSession } from "capnweb";
import { WebSocketServer } from "ws";
import { announcePort, die, watchParent } from "../child.js";
import { BenchApi } from "./api.js";

watchParent();
const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 });
// capnweb takes a WHATWG-style WebSocket; ws's has the same addEventListener/send/close.
wss.on("connection", (socket) => newWebSocketRpcSession(socket as never, new BenchApi()));
wss.on("error", die);
wss.on("listening", () => announcePort((wss.address() as AddressInfo).port));
