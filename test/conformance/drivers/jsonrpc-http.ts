/**
 * JSON-RPC 2.0 over HTTP: serve(api, { listen: "http://127.0.0.1:0/rpc" }) and
 * connect("http://..."), one POST per call, a batch one POST of a batch array.
 *
 * Not registered: the in-flight limit (maxCallsInFlight is per connection, and an HTTP
 * connection carries one request at a time, so there is nothing to refuse). JSON-RPC has no
 * cancel message: the client hangs up, which aborts the handler's signal, so cancellation and
 * deadlines do reach the handler. Named params are sent as a raw POST, since farcall's client
 * only sends positional ones.
 */
import { postJson, serveDriver } from "../serve-driver.js";
import type { Driver } from "../driver.js";

export const driver: Driver = serveDriver({
  name: "JSON-RPC over http",
  protocol: "jsonrpc",
  transport: "http",
  caps: {
    namedParams: true,
    notifications: "native",
    errors: "exact",
    deadlineReachesHandler: true,
    cancellation: "carried",
    inFlightLimit: false,
    serverInterceptors: true,
    clientInterceptors: true,
  },
  listen: () => "http://127.0.0.1:0/rpc",
  sendJson: postJson,
});
