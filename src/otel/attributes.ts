/**
 * What a span and a measurement say about a call, in OpenTelemetry's RPC semantic
 * conventions (https://opentelemetry.io/docs/specs/semconv/rpc/): `rpc.system`, `rpc.method`,
 * the peer, and `error.type` (the call's error code) when it failed. Trace context travels in
 * the call's metadata under W3C Trace Context's own names (`traceparent`, `tracestate`),
 * which farcall/1 carries in its call message and HTTP and NATS carry in the Farcall-Meta
 * header.
 */
import type { Attributes, TextMapGetter, TextMapSetter } from "@opentelemetry/api";
import type { PeerInfo } from "../core/context.js";
import { RpcError } from "../core/errors.js";

/** The instrumentation scope's name: the tracer and the meter are farcall's. */
export const SCOPE = "farcall";

/**
 * `rpc.system` for each protocol farcall serves; JSON-RPC's value is the conventions' own,
 * the others are farcall's names for their protocols.
 */
const SYSTEMS: Readonly<Record<string, string>> = { "farcall/1": "farcall", jsonrpc: "jsonrpc", xmlrpc: "xmlrpc", pymanager: "pymanager" };

/** `rpc.system` for a call that came in over `protocol`. */
export function systemOf(protocol: string): string {
  return SYSTEMS[protocol] ?? protocol;
}

/** The attributes of a served call's span: those of its metrics (`base`), plus the peer. */
export function serverAttributes(base: Attributes, peer: PeerInfo, notification: boolean): Attributes {
  // Object.assign, not a spread with an added key: V8 in Node 20 builds the latter on a slow path (about 8x).
  const attributes: Attributes = Object.assign({}, base);
  attributes["network.peer.address"] = peer.address;
  if (peer.port !== undefined) attributes["network.peer.port"] = peer.port;
  if (notification) attributes["farcall.notification"] = true;
  return attributes;
}

/** The error code of what a call threw, as `error.type`: "INVALID_PARAMS", "TEAPOT", "7". */
export function errorTypeOf(thrown: unknown): string {
  return String(RpcError.from(thrown).code);
}

/** Reads trace context from a call's metadata (string values only: anything else is not ours). */
export const metaGetter: TextMapGetter<Readonly<Record<string, unknown>>> = {
  keys: (meta) => Object.keys(meta),
  get: (meta, key) => {
    const value = meta[key];
    return typeof value === "string" ? value : undefined;
  },
};

/** Writes trace context into a call's metadata. */
export const metaSetter: TextMapSetter<Record<string, unknown>> = {
  set: (meta, key, value) => {
    meta[key] = value;
  },
};
