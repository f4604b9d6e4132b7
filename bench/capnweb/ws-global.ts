/**
 * capnweb's WebSocket transport refers to the global WebSocket class, which Node 20 lacks
 * (Node 22 has one): the `ws` package's stands in. Imported before capnweb.
 */
import { WebSocket } from "ws";

(globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;
