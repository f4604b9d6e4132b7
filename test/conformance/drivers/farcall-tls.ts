/**
 * farcall/1 over TLS: serve(api, { listen: "tls://127.0.0.1:0", tls: { cert, key } }) and
 * connect("tls://...", { tls: { ca } }), with throwaway certificates (test/helpers/certs.ts).
 * Same capabilities as tcp; named params are JSON-RPC's alone. Skipped, loudly, where the
 * openssl command is missing.
 */
import { makeTestCertificates, opensslMissing, type TestCertificates } from "../../helpers/certs.js";
import { FARCALL_CAPS, type Driver } from "../driver.js";
import { serveDriver } from "../serve-driver.js";

let certs: TestCertificates | undefined;

export const driver: Driver = serveDriver({
  name: "farcall/1 over tls",
  protocol: "farcall/1",
  transport: "tls",
  unavailable: opensslMissing(),
  caps: FARCALL_CAPS,
  async setup() {
    certs = makeTestCertificates();
  },
  async teardown() {
    certs?.dispose();
  },
  listen: () => "tls://127.0.0.1:0",
  serveOptions: () => ({ tls: { cert: certs!.server.cert, key: certs!.server.key } }),
  connectOptions: () => ({ tls: { ca: certs!.ca } }),
});
