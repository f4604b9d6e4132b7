/**
 * tls:// listeners and clients with certificates made by openssl for each run: server
 * authentication, mutual TLS with the client certificate's subject visible to handlers,
 * and TLS combined with the authkey handshake.
 */
import assert from "node:assert/strict";
import { after, before, describe, it, type TestContext } from "node:test";
import { close, connect, context, serve, type ConnectOptions, type Remote, type ServeOptions, type Server } from "../../src/index.js";
import { rejectsWith } from "../helpers/bounded.js";
import { makeTestCertificates, opensslMissing, type TestCertificates } from "../helpers/certs.js";

const missing = opensslMissing();
if (missing && process.env.CI === "true") {
  throw new Error(`${missing}. TLS tests are never skipped in CI: install openssl on the runner.`);
}
if (missing) {
  console.warn(`\n*** SKIPPING ALL TLS TESTS: ${missing} ***\n`);
}

const api = {
  add: (a: number, b: number) => a + b,
  peer: () => {
    const { transport, authenticated, certificateSubject } = context().peer;
    return { transport, authenticated, certificateSubject: certificateSubject ? { ...certificateSubject } : null };
  },
};
type Api = typeof api;

async function start(t: TestContext, options: ServeOptions): Promise<Server> {
  const server = await serve(api, { listen: "tls://127.0.0.1:0", logger: false, ...options });
  t.after(() => server.close({ drainMs: 0 }));
  return server;
}

async function client(t: TestContext, url: string, options: ConnectOptions): Promise<Remote<Api>> {
  const remote = await connect<Api>(url, { logger: false, connectTimeoutMs: 5000, ...options });
  t.after(() => close(remote));
  return remote;
}

/** A connect() that is expected to fail: closes the remote if it unexpectedly succeeds. */
function attempt(url: string, options: ConnectOptions): Promise<Remote<Api>> {
  return connect<Api>(url, { logger: false, connectTimeoutMs: 5000, ...options }).then(async (remote) => {
    await close(remote);
    return remote;
  });
}

describe("tls:// transport", { skip: missing }, () => {
  let certs: TestCertificates;
  before(() => {
    certs = makeTestCertificates();
  });
  after(() => certs?.dispose());

  describe("server authentication", () => {
    it("a client that trusts the CA calls the server over tls://127.0.0.1 (IP subjectAltName)", async (t) => {
      const server = await start(t, { tls: { cert: certs.server.cert, key: certs.server.key } });
      assert.match(server.addresses[0], /^tls:\/\/127\.0\.0\.1:[1-9]\d*$/);
      const remote = await client(t, server.addresses[0], { tls: { ca: certs.ca } });
      assert.equal(await remote.add(2, 3), 5);
      const peer = await remote.peer();
      assert.equal(peer.transport, "tls");
      assert.equal(peer.authenticated, false);
      assert.equal(peer.certificateSubject, null, "no client certificate was asked for");
    });

    it("a client that trusts the CA calls the server over tls://localhost (DNS subjectAltName)", async (t) => {
      const server = await start(t, { tls: { cert: certs.server.cert, key: certs.server.key } });
      const port = new URL(server.addresses[0]).port;
      const remote = await client(t, `tls://localhost:${port}`, { tls: { ca: certs.ca } });
      assert.equal(await remote.add(20, 22), 42);
    });

    it("a client that does not trust the server's CA is refused with UNAVAILABLE", async (t) => {
      const server = await start(t, { tls: { cert: certs.server.cert, key: certs.server.key } });
      await rejectsWith(attempt(server.addresses[0], { tls: {} }), "UNAVAILABLE", 6000, "connect() without the CA");
      await rejectsWith(attempt(server.addresses[0], { tls: { ca: certs.rogueCa } }), "UNAVAILABLE", 6000, "connect() trusting another CA");
    });

    it("a client that checks the certificate against another name is refused with UNAVAILABLE", async (t) => {
      const server = await start(t, { tls: { cert: certs.server.cert, key: certs.server.key } });
      await rejectsWith(
        attempt(server.addresses[0], { tls: { ca: certs.ca, servername: "not-this-server.example" } }),
        "UNAVAILABLE",
        6000,
        "connect() with a servername the certificate does not name",
      );
    });

    it("a plain tcp:// client is refused by a tls:// listener with UNAVAILABLE", async (t) => {
      const server = await start(t, { tls: { cert: certs.server.cert, key: certs.server.key } });
      const port = new URL(server.addresses[0]).port;
      await rejectsWith(attempt(`tcp://127.0.0.1:${port}`, {}), "UNAVAILABLE", 6000, "connect() in plain text to a TLS port");
    });
  });

  describe("mutual TLS", () => {
    const mutual = (): ServeOptions => ({
      tls: { cert: certs.server.cert, key: certs.server.key, ca: certs.ca, requestCert: true, rejectUnauthorized: true },
    });

    it("accepts a client with a certificate signed by the CA, and the handler sees its subject in context().peer.certificateSubject", async (t) => {
      const server = await start(t, mutual());
      const remote = await client(t, server.addresses[0], { tls: { ca: certs.ca, cert: certs.client.cert, key: certs.client.key } });
      assert.equal(await remote.add(1, 2), 3);
      const peer = await remote.peer();
      assert.equal(peer.transport, "tls");
      assert.equal(peer.certificateSubject?.CN, certs.clientCommonName);
    });

    it("refuses a client without a certificate with UNAVAILABLE", async (t) => {
      const server = await start(t, mutual());
      await rejectsWith(attempt(server.addresses[0], { tls: { ca: certs.ca } }), "UNAVAILABLE", 6000, "connect() without a client certificate");
    });

    it("refuses a client whose certificate another CA signed with UNAVAILABLE", async (t) => {
      const server = await start(t, mutual());
      await rejectsWith(
        attempt(server.addresses[0], { tls: { ca: certs.ca, cert: certs.rogueClient.cert, key: certs.rogueClient.key } }),
        "UNAVAILABLE",
        6000,
        "connect() with an untrusted client certificate",
      );
    });
  });

  describe("TLS with an authkey", () => {
    const withKey = (): ServeOptions => ({ tls: { cert: certs.server.cert, key: certs.server.key }, authkey: "s3cret" });

    it("a client with the CA and the key is served and authenticated", async (t) => {
      const server = await start(t, withKey());
      const remote = await client(t, server.addresses[0], { tls: { ca: certs.ca }, authkey: "s3cret" });
      assert.equal(await remote.add(4, 5), 9);
      const peer = await remote.peer();
      assert.equal(peer.transport, "tls");
      assert.equal(peer.authenticated, true);
    });

    it("a client with the CA and a wrong key is refused with UNAUTHENTICATED", async (t) => {
      const server = await start(t, withKey());
      await rejectsWith(attempt(server.addresses[0], { tls: { ca: certs.ca }, authkey: "wrong" }), "UNAUTHENTICATED", 6000, "connect() with a wrong key");
    });

    it("a client with the CA and no key is refused with UNAUTHENTICATED", async (t) => {
      const server = await start(t, withKey());
      await rejectsWith(attempt(server.addresses[0], { tls: { ca: certs.ca } }), "UNAUTHENTICATED", 6000, "connect() without a key");
    });

    it("a client with the key that does not trust the CA is refused with UNAVAILABLE", async (t) => {
      const server = await start(t, withKey());
      await rejectsWith(attempt(server.addresses[0], { tls: {}, authkey: "s3cret" }), "UNAVAILABLE", 6000, "connect() with the key but without the CA");
    });

    it("mutual TLS and an authkey together: the handler sees both the certificate subject and authenticated true", async (t) => {
      const server = await start(t, {
        tls: { cert: certs.server.cert, key: certs.server.key, ca: certs.ca, requestCert: true, rejectUnauthorized: true },
        authkey: "s3cret",
      });
      const remote = await client(t, server.addresses[0], { tls: { ca: certs.ca, cert: certs.client.cert, key: certs.client.key }, authkey: "s3cret" });
      const peer = await remote.peer();
      assert.equal(peer.authenticated, true);
      assert.equal(peer.certificateSubject?.CN, certs.clientCommonName);
    });
  });
});
