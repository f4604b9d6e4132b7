/**
 * The example farcall started from: an in-memory key-value store on a server, protected by a
 * password, called from a client as if it were local.
 *
 * Run: node --import tsx examples/kv-store.ts
 *
 * Server and client share one process here so the example runs by itself; in real use they
 * are two programs, usually on two machines (listen on "tcp://0.0.0.0:4343" and connect to
 * the server's address).
 */
import os from "node:os";
import { close, connect, serve } from "../src/index.js";

// ---- the server: plain functions, registered by passing them to serve() -----------------

const store = new Map<string, unknown>();

const api = {
  get(key: string): unknown {
    return store.get(key) ?? null;
  },
  put(key: string, value: unknown): void {
    store.set(key, value);
  },
  /** The server's OS: tells you the call really ran over there. */
  getUname(): string {
    return `${os.type()} ${os.release()} ${os.arch()}`;
  },
};

/** The client imports only this type, never the server's code. */
export type KvApi = typeof api;

// Port 0 picks a free port; server.addresses tells which.
const server = await serve(api, { listen: "tcp://127.0.0.1:0", authkey: "password" });
const [url] = server.addresses;

// ---- the client: a typed proxy; every call returns a Promise ------------------------------

const remote = await connect<KvApi>(url!, { authkey: "password" });
console.log("get", await remote.get("a")); // null: the key is missing
console.log("put", await remote.put("a", 10)); // undefined: put returns nothing
console.log("get", await remote.get("a")); // 10: a number arrives as a number, no .conjugate()
console.log("getUname", await remote.getUname());

await close(remote);
await server.close();
