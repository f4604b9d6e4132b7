/**
 * JSON-RPC 2.0 over raw TCP: the one-port tcp:// listener takes a connection whose first
 * byte is `{` or `[` as newline-delimited JSON-RPC. farcall has no client for it, so the
 * driver's client is raw-jsonrpc-client.ts (batches as one batch array, notifications
 * id-less).
 *
 * Not registered: client interceptors (connect() is not involved); the in-flight limit
 * (this transport applies maxCallsInFlight by pausing its reads, not by answering
 * RESOURCE_EXHAUSTED). JSON-RPC carries neither deadlines nor cancellation, and hanging up
 * would end every call on the connection, so both are the client's alone: the handler is not
 * told.
 */
import { once } from "node:events";
import { connect as tcpConnect } from "node:net";
import { serve, type Remote } from "../../../src/index.js";
import { makeRemote } from "../../../src/core/remote.js";
import type { Driver, Endpoint } from "../driver.js";
import { RawJsonRpcCaller } from "../raw-jsonrpc-client.js";

/** Sends one document on a connection of its own and answers the first line back, decoded. */
async function sendJson(port: number, doc: unknown): Promise<unknown> {
  const socket = tcpConnect(port, "127.0.0.1");
  try {
    await once(socket, "connect");
    socket.setEncoding("utf8");
    socket.write(`${JSON.stringify(doc)}\n`);
    let text = "";
    while (!text.includes("\n")) {
      const [chunk] = (await once(socket, "data")) as [string];
      text += chunk;
    }
    return JSON.parse(text.slice(0, text.indexOf("\n")));
  } finally {
    socket.destroy();
  }
}

export const driver: Driver = {
  name: "JSON-RPC over raw tcp",
  protocol: "jsonrpc",
  transport: "tcp",
  caps: {
    namedParams: true,
    notifications: "native",
    errors: "exact",
    deadlineReachesHandler: false,
    cancellation: "client",
    inFlightLimit: false,
    serverInterceptors: true,
    clientInterceptors: false,
  },
  async start(api, options): Promise<Endpoint> {
    const server = await serve(api, { ...options, listen: "tcp://127.0.0.1:0" });
    const port = Number(new URL(server.addresses[0]!).port);
    return {
      async connect<T>(): Promise<Remote<T>> {
        return makeRemote<T>(await RawJsonRpcCaller.open("127.0.0.1", port));
      },
      sendJson: (doc) => sendJson(port, doc),
      close: () => server.close({ drainMs: 0 }),
    };
  },
};
