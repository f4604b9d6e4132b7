/**
 * The NATS client, loaded only when a `nats://` URL is used: farcall installs and runs
 * without it. Its packages are optional peer dependencies; a `nats://` URL without them
 * fails with a message naming the package to install.
 */
import { RpcError } from "../core/errors.js";

/** The client package `nats://` listeners and connections need. */
export const NATS_CLIENT_PACKAGE = "@nats-io/transport-node";
/** The key-value package the demo's JetStream store needs. */
export const NATS_KV_PACKAGE = "@nats-io/kv";
/** JetStream itself, which the demo's shared queue (a work-queue stream) needs. */
export const NATS_JETSTREAM_PACKAGE = "@nats-io/jetstream";
/** NATS's Services API (ADR-32), which every `nats://` instance registers with and natsInstances() reads. */
export const NATS_SERVICES_PACKAGE = "@nats-io/services";

type TransportModule = typeof import("@nats-io/transport-node");
type KvModule = typeof import("@nats-io/kv");
type JetStreamModule = typeof import("@nats-io/jetstream");
type ServicesModule = typeof import("@nats-io/services");

/** Imports a package by name; replaced in tests to simulate a missing one. */
export type PackageImporter = (name: string) => Promise<unknown>;

// A variable specifier keeps bundlers and TypeScript from resolving the optional package eagerly.
const defaultImporter: PackageImporter = (name) => import(name);
let importer: PackageImporter = defaultImporter;

/** Replaces how the NATS packages are imported (tests); no argument restores the default. */
export function setNatsImporter(replacement?: PackageImporter): void {
  importer = replacement ?? defaultImporter;
}

async function load<T>(name: string, why: string): Promise<T> {
  try {
    return (await importer(name)) as T;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") {
      throw new RpcError("UNAVAILABLE", `${why} needs the optional package ${name}: install it with "npm install ${name}"`, undefined, { cause: err });
    }
    throw err;
  }
}

/** The NATS client for Node, or UNAVAILABLE naming the package when it is not installed. */
export function loadNatsClient(): Promise<TransportModule> {
  return load<TransportModule>(NATS_CLIENT_PACKAGE, "a nats:// address");
}

/** NATS JetStream key-value, or UNAVAILABLE naming the package when it is not installed. */
export function loadNatsKv(): Promise<KvModule> {
  return load<KvModule>(NATS_KV_PACKAGE, "a nats:// store");
}

/** NATS JetStream, or UNAVAILABLE naming the package when it is not installed. */
export function loadNatsJetStream(): Promise<JetStreamModule> {
  return load<JetStreamModule>(NATS_JETSTREAM_PACKAGE, "a nats:// store's shared queue");
}

/** NATS's Services API, or UNAVAILABLE naming the package when it is not installed. */
export function loadNatsServices(): Promise<ServicesModule> {
  return load<ServicesModule>(NATS_SERVICES_PACKAGE, "NATS's Services API ($SRV.PING, $SRV.INFO, $SRV.STATS)");
}
