/**
 * farcall/1 over TCP: serve(api, { listen: "tcp://127.0.0.1:0" }) and connect("tcp://...").
 * It carries every case: named params are JSON-RPC's alone, so that one is not registered.
 */
import { FARCALL_CAPS, type Driver } from "../driver.js";
import { serveDriver } from "../serve-driver.js";

export const driver: Driver = serveDriver({
  name: "farcall/1 over tcp",
  protocol: "farcall/1",
  transport: "tcp",
  caps: FARCALL_CAPS,
  listen: () => "tcp://127.0.0.1:0",
});
