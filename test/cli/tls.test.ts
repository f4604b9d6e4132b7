import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { makeTestCertificates, opensslMissing } from "../helpers/certs.js";
import { requireBuild, runCli, startServe } from "./cli-process.js";

const missing = opensslMissing();
if (missing && process.env.CI === "true") throw new Error(`CI=true but ${missing}`);
if (missing) console.error(`\n*** SKIPPING the CLI TLS tests: ${missing} ***\n`);

describe("farcall over TLS from the command line", { skip: missing }, () => {
  before(requireBuild);

  it("serve --tls-cert/--tls-key answers call and list given --tls-ca; without the CA the call exits 2", async (t) => {
    const certs = makeTestCertificates();
    const dir = mkdtempSync(join(tmpdir(), "farcall-cli-tls-"));
    t.after(() => {
      certs.dispose();
      rmSync(dir, { recursive: true, force: true });
    });
    const file = (name: string, data: Buffer): string => {
      const path = join(dir, name);
      writeFileSync(path, data);
      return path;
    };
    const ca = file("ca.pem", certs.ca);
    const cert = file("server.pem", certs.server.cert);
    const key = file("server.key", certs.server.key);
    const server = await startServe(t, ["--listen", "tls://127.0.0.1:0", "--tls-cert", cert, "--tls-key", key, "--authkey", "k"]);
    const [url] = server.addresses;
    assert.match(url!, /^tls:\/\/127\.0\.0\.1:\d+$/);

    const call = await runCli(t, ["call", url!, "echo", '"over tls"', "--tls-ca", ca, "--authkey", "k"]);
    assert.equal(call.code, 0, call.stderr);
    assert.equal(call.stdout, '"over tls"\n');
    const list = await runCli(t, ["list", url!, "--tls-ca", ca, "--authkey", "k"]);
    assert.match(list.stdout, /counter\.inc\(name\)/);

    const untrusted = await runCli(t, ["call", url!, "echo", "1", "--authkey", "k"]);
    assert.equal(untrusted.code, 2);
    assert.match(untrusted.stderr, /UNAVAILABLE/);
  });

  it("--tls-cert without --tls-key is a usage error (exit 2)", async (t) => {
    const r = await runCli(t, ["serve", "--listen", "tls://127.0.0.1:0", "--tls-cert", "/nonexistent.pem"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--tls-cert and --tls-key go together/);
  });
});
