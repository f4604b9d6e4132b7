/**
 * farcall/1 over TLS: serve(api, { listen: "tls://127.0.0.1:0", tls: { cert, key } }) and
 * connect("tls://...", { tls: { ca } }), with throwaway certificates (test/helpers/certs.ts).
 * Same capabilities as tcp; named params are JSON-RPC's alone. Skipped, loudly, where the
 * openssl command is missing.
 */
import { FARCALL_CAPS, type Driver } from "../driver.js";
import { tlsServeDriver } from "../serve-driver.js";

export const driver: Driver = tlsServeDriver({
  name: "farcall/1 over tls",
  protocol: "farcall/1",
  transport: "tls",
  caps: FARCALL_CAPS,
  listen: () => "tls://127.0.0.1:0",
});
