/**
 * Throwaway certificates for TLS tests, made with the `openssl` command in a temp dir:
 * a CA, a server certificate for localhost and 127.0.0.1 (subjectAltName), a client
 * certificate (CN "farcall-test-client") signed by that CA, and a second, untrusted CA with
 * a client certificate of its own. EC P-256 keys keep generation fast.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface KeyPair {
  cert: Buffer;
  key: Buffer;
}

export interface TestCertificates {
  /** The CA that signed `server` and `client`. */
  ca: Buffer;
  /** For CN=localhost, subjectAltName DNS:localhost, IP:127.0.0.1. */
  server: KeyPair;
  /** CN=farcall-test-client, signed by `ca`. */
  client: KeyPair;
  /** The subject CN of `client`. */
  clientCommonName: string;
  /** A CA nobody trusts, and a client certificate it signed (CN=farcall-rogue-client). */
  rogueCa: Buffer;
  rogueClient: KeyPair;
  /** Removes the temp dir. */
  dispose(): void;
}

/** Why the TLS tests cannot make certificates here, or undefined when openssl works. */
export function opensslMissing(): string | undefined {
  try {
    execFileSync("openssl", ["version"], { stdio: "pipe" });
    return undefined;
  } catch (err) {
    return `the openssl command is not usable (${(err as Error).message}); TLS tests need it to make certificates`;
  }
}

const CLIENT_CN = "farcall-test-client";

/** Makes a fresh set of certificates; call `dispose()` when done. */
export function makeTestCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), "farcall-certs-"));
  const run = (...args: string[]): void => {
    execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  };
  const key = (name: string): void => run("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", `${name}.key`);
  const ca = (name: string, cn: string): void => {
    key(name);
    run("req", "-x509", "-new", "-key", `${name}.key`, "-subj", `/CN=${cn}`, "-days", "2", "-out", `${name}.crt`,
      "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
  };
  let serial = 1;
  const leaf = (name: string, cn: string, signer: string, extensions: string): void => {
    key(name);
    run("req", "-new", "-key", `${name}.key`, "-subj", `/CN=${cn}`, "-out", `${name}.csr`);
    writeFileSync(join(dir, `${name}.ext`), extensions);
    run("x509", "-req", "-in", `${name}.csr`, "-CA", `${signer}.crt`, "-CAkey", `${signer}.key`, "-set_serial", String(serial++),
      "-days", "2", "-out", `${name}.crt`, "-extfile", `${name}.ext`);
  };
  try {
    ca("ca", "farcall test CA");
    leaf("server", "localhost", "ca", "basicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
    leaf("client", CLIENT_CN, "ca", "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n");
    ca("rogue-ca", "farcall rogue CA");
    leaf("rogue-client", "farcall-rogue-client", "rogue-ca", "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n");
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const read = (file: string): Buffer => readFileSync(join(dir, file));
  const pair = (name: string): KeyPair => ({ cert: read(`${name}.crt`), key: read(`${name}.key`) });
  return {
    ca: read("ca.crt"),
    server: pair("server"),
    client: pair("client"),
    clientCommonName: CLIENT_CN,
    rogueCa: read("rogue-ca.crt"),
    rogueClient: pair("rogue-client"),
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}
