/**
 * XML-RPC over HTTP: an http:// listener (XML-RPC is answered wherever JSON-RPC over HTTP
 * is, by Content-Type) and connect("xmlrpc+http://..."), batches as system.multicall.
 *
 * Not registered: named params (XML-RPC has only positional ones); the in-flight limit (per
 * connection, and an HTTP connection carries one request at a time). XML-RPC has no
 * notifications: notify() is a call whose answer the client drops, so the "emulated" case
 * runs. Faults carry farcall's code and data in extra members (src/xmlrpc/faults.ts), so
 * errors are exact. Cancellation and deadlines reach the handler by the client hanging up.
 */
import { serveDriver } from "../serve-driver.js";
import type { Driver } from "../driver.js";

export const driver: Driver = serveDriver({
  name: "XML-RPC over http",
  protocol: "xmlrpc",
  transport: "http",
  caps: {
    namedParams: false,
    notifications: "emulated",
    errors: "exact",
    deadlineReachesHandler: true,
    cancellation: "carried",
    inFlightLimit: false,
    serverInterceptors: true,
    clientInterceptors: true,
  },
  listen: () => "http://127.0.0.1:0/RPC2",
  clientUrl: (address) => address.replace(/^http:/, "xmlrpc+http:"),
});
