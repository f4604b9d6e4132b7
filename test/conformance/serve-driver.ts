/**
 * A conformance driver over the public API: `serve(api, { listen })` for the server and
 * `connect(url)` for the client, with what differs between protocols and transports (the
 * listen URL, the URL a client dials, TLS options, a raw JSON-RPC path) given per driver.
 */
import { connect, serve, type ConnectOptions, type Remote, type ServeOptions } from "../../src/index.js";
import type { ConnectOptionsWithUse, ServeOptionsWithUse } from "./cases.js";
import type { Driver, Endpoint } from "./driver.js";
import { makeTestCertificates, opensslMissing, type TestCertificates } from "../helpers/certs.js";

export interface ServeDriverSpec extends Omit<Driver, "start"> {
  /** The URL to listen on (port 0: any free port). */
  listen(): string;
  /** Options every server of the driver gets (TLS certificates, say). */
  serveOptions?(): ServeOptions;
  /** Options every client of the driver gets. */
  connectOptions?(): ConnectOptions;
  /** The URL a client dials, from the server's bound address. @default the address itself */
  clientUrl?(address: string): string;
  /** Sends one raw JSON-RPC document to the server at `address` (drivers with namedParams). */
  sendJson?(address: string, doc: unknown): Promise<unknown>;
}

/** A driver that serves with serve() and calls through connect(). */
export function serveDriver(spec: ServeDriverSpec): Driver {
  return {
    ...spec,
    async start(api: object, options: ServeOptionsWithUse): Promise<Endpoint> {
      const server = await serve(api, { ...spec.serveOptions?.(), ...options, listen: spec.listen() });
      const address = server.addresses[0]!;
      const endpoint: Endpoint = {
        connect<T>(options: ConnectOptionsWithUse = {}): Promise<Remote<T>> {
          return connect<T>(spec.clientUrl ? spec.clientUrl(address) : address, { logger: false, ...spec.connectOptions?.(), ...options });
        },
        close: () => server.close({ drainMs: 0 }),
      };
      if (spec.sendJson) endpoint.sendJson = (doc) => spec.sendJson!(address, doc);
      return endpoint;
    },
  };
}

/** POSTs one JSON-RPC document to `url` and answers the decoded response. */
export async function postJson(url: string, doc: unknown): Promise<unknown> {
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(doc) });
  return response.json();
}

/**
 * serveDriver for a scheme over TLS (tls://, wss://): the server gets throwaway certificates
 * made at setup, the client trusts their CA; skipped, loudly, where openssl is missing.
 */
export function tlsServeDriver(spec: Omit<ServeDriverSpec, "unavailable" | "setup" | "teardown" | "serveOptions" | "connectOptions">): Driver {
  let certs: TestCertificates | undefined;
  return serveDriver({
    ...spec,
    unavailable: opensslMissing(),
    async setup() {
      certs = makeTestCertificates();
    },
    async teardown() {
      certs?.dispose();
    },
    serveOptions: () => ({ tls: { cert: certs!.server.cert, key: certs!.server.key } }),
    connectOptions: () => ({ tls: { ca: certs!.ca } }),
  });
}
