/**
 * farcall/1 over WebSocket with TLS: serve(api, { listen: "wss://127.0.0.1:0", tls }) and
 * connect("wss://...", { tls: { ca } }), with throwaway certificates. Skipped, loudly, where
 * the openssl command is missing.
 */
import { FARCALL_CAPS, type Driver } from "../driver.js";
import { tlsServeDriver } from "../serve-driver.js";

export const driver: Driver = tlsServeDriver({
  name: "farcall/1 over wss",
  protocol: "farcall/1",
  transport: "wss",
  caps: FARCALL_CAPS,
  listen: () => "wss://127.0.0.1:0",
});
