/**
 * farcall/1 over TCP: serve(api, { listen: "tcp://127.0.0.1:0" }) and connect("tcp://...").
 * It carries every case: named params are JSON-RPC's alone, so that one is not registered.
 */
import { runConformance } from "./cases.js";
import { FARCALL_CAPS } from "./driver.js";
import { serveDriver } from "./serve-driver.js";

runConformance(
  serveDriver({
    name: "farcall/1 over tcp",
    protocol: "farcall/1",
    transport: "tcp",
    caps: FARCALL_CAPS,
    listen: () => "tcp://127.0.0.1:0",
  }),
);
