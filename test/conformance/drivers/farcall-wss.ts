/**
 * farcall/1 over WebSocket with TLS: serve(api, { listen: "wss://127.0.0.1:0", tls }) and
 * connect("wss://...", { tls: { ca } }), with throwaway certificates. Skipped, loudly, where
 * the openssl command is missing.
 */
import { makeTestCertificates, opensslMissing, type TestCertificates } from "../../helpers/certs.js";
import { FARCALL_CAPS, type Driver } from "../driver.js";
import { serveDriver } from "../serve-driver.js";

let certs: TestCertificates | undefined;

export const driver: Driver = serveDriver({
  name: "farcall/1 over wss",
  protocol: "farcall/1",
  transport: "wss",
  unavailable: opensslMissing(),
  caps: FARCALL_CAPS,
  async setup() {
    certs = makeTestCertificates();
  },
  async teardown() {
    certs?.dispose();
  },
  listen: () => "wss://127.0.0.1:0",
  serveOptions: () => ({ tls: { cert: certs!.server.cert, key: certs!.server.key } }),
  connectOptions: () => ({ tls: { ca: certs!.ca } }),
});
