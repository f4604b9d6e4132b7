/**
 * farcall/1 over WebSocket on the one port: serve(api, { listen: "tcp://127.0.0.1:0" }) and
 * connect("ws://<the same host:port>/"), so the HTTP Upgrade is sniffed like any other protocol.
 */
import { FARCALL_CAPS, type Driver } from "../driver.js";
import { serveDriver } from "../serve-driver.js";

export const driver: Driver = serveDriver({
  name: "farcall/1 over ws on a tcp:// listener",
  protocol: "farcall/1",
  transport: "ws",
  caps: FARCALL_CAPS,
  listen: () => "tcp://127.0.0.1:0",
  clientUrl: (address) => `${address.replace(/^tcp:/, "ws:")}/`,
});
