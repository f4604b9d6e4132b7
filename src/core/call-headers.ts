/**
 * A call's deadline and metadata as headers, for transports whose messages have headers
 * but no room for them in the body: HTTP (JSON-RPC and XML-RPC documents have no field for
 * them) and NATS. Both ends share these names and limits.
 */
import type { Codec } from "./codec.js";
import { RpcError } from "./errors.js";

/** Request header: the call's remaining time in ms (relative: clocks differ between hosts). */
export const TIMEOUT_HEADER = "Farcall-Timeout";
/** Request header: the call's metadata, as extended JSON (Dates, BigInts, Maps survive). */
export const META_HEADER = "Farcall-Meta";

/** Largest metadata header accepted, in bytes; metadata is for labels, not payloads. */
export const MAX_META_HEADER_BYTES = 16 * 1024;

const utf8 = new TextEncoder();
const NON_ASCII = /[\u007f-\uffff]/g;

/** The deadline (ms since the epoch, local clock) a `Farcall-Timeout` header gives, if any. */
export function deadlineFrom(header: string | undefined, now: number): number | undefined {
  if (header === undefined || header === "") return undefined;
  const ms = Number(header);
  if (!Number.isSafeInteger(ms) || ms < 1) throw new RpcError("INVALID_REQUEST", `${TIMEOUT_HEADER} must be a positive whole number of ms, got ${JSON.stringify(header.slice(0, 32))}`);
  return now + ms;
}

/** Metadata decoded from a `Farcall-Meta` header, with the codec's depth limit. */
export function metaFrom(header: string | undefined, json: Codec): Record<string, unknown> | undefined {
  if (header === undefined || header === "") return undefined;
  if (header.length > MAX_META_HEADER_BYTES) throw new RpcError("RESOURCE_EXHAUSTED", `${META_HEADER} of ${header.length} characters exceeds ${MAX_META_HEADER_BYTES} B`);
  const bytes = utf8.encode(header);
  if (bytes.length > MAX_META_HEADER_BYTES) throw new RpcError("RESOURCE_EXHAUSTED", `${META_HEADER} of ${bytes.length} B exceeds ${MAX_META_HEADER_BYTES} B`);
  const meta = json.decode(bytes);
  if (typeof meta !== "object" || meta === null || Array.isArray(meta)) throw new RpcError("INVALID_REQUEST", `${META_HEADER} must be a JSON object`);
  return meta as Record<string, unknown>;
}

/**
 * The `Farcall-Meta` header value for `meta`: ASCII only (characters past it are written as
 * JSON \u escapes, which HTTP header values can carry); RESOURCE_EXHAUSTED when too large.
 */
export function metaHeader(meta: Record<string, unknown>, json: Codec): string {
  const text = new TextDecoder().decode(json.encode(meta)).replace(NON_ASCII, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  if (text.length > MAX_META_HEADER_BYTES) throw new RpcError("RESOURCE_EXHAUSTED", `call metadata of ${text.length} B exceeds ${MAX_META_HEADER_BYTES} B`);
  return text;
}
