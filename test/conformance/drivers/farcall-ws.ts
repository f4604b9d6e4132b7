/**
 * farcall/1 over WebSocket on a listener of its own: serve(api, { listen: "ws://127.0.0.1:0" })
 * and connect("ws://..."). Same capabilities as tcp: one farcall/1 frame per binary message.
 */
import { FARCALL_CAPS, type Driver } from "../driver.js";
import { serveDriver } from "../serve-driver.js";

export const driver: Driver = serveDriver({
  name: "farcall/1 over ws",
  protocol: "farcall/1",
  transport: "ws",
  caps: FARCALL_CAPS,
  listen: () => "ws://127.0.0.1:0",
});
