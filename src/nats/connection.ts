/**
 * Opening a NATS connection for farcall: the servers and credentials of a `nats://` URL
 * and the `nats` option block, passed to the NATS client, with its failures mapped to
 * farcall's codes (a refused credential is UNAUTHENTICATED, anything else UNAVAILABLE).
 */
import { readFile } from "node:fs/promises";
import type { ConnectionOptions, NatsConnection } from "@nats-io/transport-node";
import { RpcError } from "../core/errors.js";
import { formatNatsUrl, type NatsAddress } from "./address.js";
import { loadNatsClient } from "./loader.js";
import type { NatsOptions } from "./options.js";

/** Connection settings beyond the URL and the `nats` block. */
export interface NatsDialSettings {
  /** Name shown in NATS monitoring when `nats.name` is not set. */
  name: string;
  /** Time to reach a server and authenticate, ms. */
  timeoutMs: number;
  /** Keep reconnecting (to any server of the cluster) after the link drops. */
  reconnect: boolean;
}

/** Connects to the servers of `address`; rejects with UNAUTHENTICATED or UNAVAILABLE naming the address. */
export async function openNats(address: NatsAddress, options: NatsOptions = {}, settings: NatsDialSettings): Promise<NatsConnection> {
  const nats = await loadNatsClient();
  const opts: ConnectionOptions = {
    servers: address.servers,
    name: options.name ?? settings.name,
    timeout: settings.timeoutMs,
    reconnect: settings.reconnect,
    maxReconnectAttempts: settings.reconnect ? -1 : 0,
    // A call must never wait on reconnection attempts for longer than the client's own timers.
    reconnectTimeWait: 250,
    // Otherwise every request builds two Error objects for their stack traces, about a fifth of
    // a caller's CPU per call; farcall reports its own RpcError and never shows those stacks.
    noAsyncTraces: true,
  };
  const user = options.user ?? address.user;
  const pass = options.pass ?? address.pass;
  const token = options.token ?? address.token;
  if (user !== undefined) opts.user = user;
  if (pass !== undefined) opts.pass = pass;
  if (token !== undefined) opts.token = token;
  if (options.tls) opts.tls = { ...options.tls };
  if (options.credentialsFile !== undefined) {
    opts.authenticator = nats.credsAuthenticator(await readCredential(options.credentialsFile, "nats.credentialsFile"));
  } else if (options.nkeyFile !== undefined) {
    const seed = new TextEncoder().encode(new TextDecoder().decode(await readCredential(options.nkeyFile, "nats.nkeyFile")).trim());
    opts.authenticator = nats.nkeyAuthenticator(seed);
  }
  try {
    return await nats.connect(opts);
  } catch (err) {
    throw natsConnectError(err, formatNatsUrl(address));
  }
}

async function readCredential(path: string, option: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new TypeError(`${option}: cannot read ${path}: ${(err as Error).message}`);
  }
}

/** A NATS connection failure as an RpcError: a refused credential is UNAUTHENTICATED. */
export function natsConnectError(err: unknown, where: string): RpcError {
  const name = (err as { name?: unknown })?.name;
  const message = err instanceof Error ? err.message : String(err);
  if (name === "AuthorizationError" || name === "UserAuthenticationExpiredError") {
    return new RpcError("UNAUTHENTICATED", `NATS at ${where} refused the credentials: ${message}`, undefined, { cause: err });
  }
  return new RpcError("UNAVAILABLE", `cannot connect to NATS at ${where}: ${message}`, undefined, { cause: err });
}
