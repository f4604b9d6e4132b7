/**
 * XML-RPC mounted at /api in Express, as the seed mounted a Flask handler: httpHandler()
 * answers every POST whose Content-Type is text/xml as XML-RPC (and application/json as
 * JSON-RPC). Python's `xmlrpc.client.ServerProxy("http://host:port/api")` calls it
 * unchanged; here farcall's own client does, through an `xmlrpc+http://` URL. A handler's
 * RpcError with a numeric code reaches the caller as a fault with that code.
 * Run: node --import tsx examples/xmlrpc-express.ts
 */
import express from "express";
import type { AddressInfo } from "node:net";
import { close, connect, describeMethod, httpHandler, RpcError } from "../src/index.js";

const api = {
  woca: describeMethod(
    (name = "world") => {
      if (!name) throw new RpcError(7, "nobody to greet");
      return `Hello, ${name}!`;
    },
    { description: "Greets someone.", params: [{ name: "name", type: "string" }], returns: "string" },
  ),
};

const app = express();
app.use("/api", httpHandler(api, { logger: false }));
const server = app.listen(0, "127.0.0.1");
await new Promise<void>((resolve) => server.once("listening", resolve));
const { port } = server.address() as AddressInfo;

const remote = await connect<typeof api>(`xmlrpc+http://127.0.0.1:${port}/api`);
console.log(`express /api says: ${await remote.woca("farcall")}`);
try {
  await remote.woca("");
} catch (err) {
  if (RpcError.is(err)) console.log(`woca("") is fault ${err.code}: ${err.message}`);
}
await close(remote);
server.closeAllConnections();
server.close();
