/**
 * jayson, the long-standing JSON-RPC library for Node, answering over its own HTTP server
 * (keep-alive as node:http does by default), with the same methods as the other contenders.
 */
import jayson from "jayson";
import type { AddressInfo } from "node:net";
import { announcePort, die, watchParent } from "../child.js";

const counts = new Map<string, number>();
type Callback = (error: null, result: unknown) => void;

const server = new jayson.Server({
  add: (args: number[], cb: Callback) => cb(null, args[0]! + args[1]!),
  echo: (args: unknown[], cb: Callback) => cb(null, args[0]),
  "counter.get": (args: string[], cb: Callback) => cb(null, counts.get(args[0]!) ?? 0),
  "counter.inc": (args: string[], cb: Callback) => {
    counts.set(args[0]!, (counts.get(args[0]!) ?? 0) + 1);
    cb(null, null);
  },
});

watchParent();
const http = server.http();
http.keepAliveTimeout = 60_000;
http.on("error", die);
http.listen(0, "127.0.0.1", () => announcePort((http.address() as AddressInfo).port));
