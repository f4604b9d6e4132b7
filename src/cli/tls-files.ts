/**
 * TLS from the command line: certificate, key and CA files named by `--tls-*` options,
 * read once at startup. A CA on the server side turns on mutual TLS.
 */
import { readFileSync } from "node:fs";
import type { ClientTlsOptions, ServerTlsOptions } from "../index.js";
import { CliError } from "./cli-error.js";

/** The `--tls-*` options of every command. */
export const TLS_OPTIONS = {
  "tls-cert": { type: "string" },
  "tls-key": { type: "string" },
  "tls-ca": { type: "string" },
} as const;

/** Help text lines for the options, per side. */
export const TLS_USAGE = {
  server: `  --tls-cert FILE  certificate (PEM) for tls:// listeners
  --tls-key FILE   its private key (PEM)
  --tls-ca FILE    CA (PEM) whose client certificates are required (mutual TLS)`,
  client: `  --tls-ca FILE    CA (PEM) to trust for a tls:// server
  --tls-cert FILE  client certificate (PEM), for servers that require one
  --tls-key FILE   its private key (PEM)`,
};

interface TlsFlags {
  "tls-cert"?: string | undefined;
  "tls-key"?: string | undefined;
  "tls-ca"?: string | undefined;
}

function read(file: string, option: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new CliError(`--${option} ${file}: ${(err as Error).message}`);
  }
}

/** The files' contents as TLS options, or undefined when no --tls-* option was given. */
function readTlsFiles(flags: TlsFlags): { cert?: Buffer; key?: Buffer; ca?: Buffer } | undefined {
  const certFile = flags["tls-cert"];
  const keyFile = flags["tls-key"];
  const caFile = flags["tls-ca"];
  if (certFile === undefined && keyFile === undefined && caFile === undefined) return undefined;
  if ((certFile === undefined) !== (keyFile === undefined)) throw new CliError("--tls-cert and --tls-key go together");
  return {
    ...(certFile !== undefined ? { cert: read(certFile, "tls-cert") } : {}),
    ...(keyFile !== undefined ? { key: read(keyFile, "tls-key") } : {}),
    ...(caFile !== undefined ? { ca: read(caFile, "tls-ca") } : {}),
  };
}

/** Server TLS options from the flags; a CA means clients must present a certificate it signed. */
export function serverTls(flags: TlsFlags): ServerTlsOptions | undefined {
  const files = readTlsFiles(flags);
  if (!files) return undefined;
  if (!files.cert) throw new CliError("--tls-ca on serve needs --tls-cert and --tls-key too");
  return files.ca ? { ...files, requestCert: true, rejectUnauthorized: true } : files;
}

/** Client TLS options from the flags. */
export function clientTls(flags: TlsFlags): ClientTlsOptions | undefined {
  return readTlsFiles(flags);
}
