/**
 * What a farcall call looks like on NATS, shared by both ends: the body of a request is one
 * farcall/1 frame (CALL, or NOTIFY for a publish; a batch is a MessagePack array of them),
 * the body of a reply a RESULT or ERROR frame (a batch's reply an array of them), and the
 * call's deadline and metadata travel in headers, where NATS tools can see them (a frame's
 * own meta counts where no header is given). A client asks for its reply on
 * `<inbox>.<call id>`, so the reply subject names the call it answers.
 *
 * Sessions (callbacks, references, streams) need one partner for their lifetime; they are
 * plain farcall/1 frames on subjects of their own, see session.ts. A reply whose result
 * lives in a session names it in `Farcall-Session`.
 */
import type { Codec } from "../core/codec.js";
import { RpcError } from "../core/errors.js";

/** Request header: the call's remaining time in ms (relative: clocks differ between hosts). */
export const TIMEOUT_HEADER = "Farcall-Timeout";
/** Request header: the call's metadata, as extended JSON (Dates, BigInts, Maps survive). */
export const META_HEADER = "Farcall-Meta";
/** Reply header: the id of the instance that answered. */
export const INSTANCE_HEADER = "Farcall-Instance";

/** Largest metadata header accepted, in bytes; metadata is for labels, not payloads. */
export const MAX_META_HEADER_BYTES = 16 * 1024;

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
  const bytes = Buffer.from(header, "utf8");
  if (bytes.length > MAX_META_HEADER_BYTES) throw new RpcError("RESOURCE_EXHAUSTED", `${META_HEADER} of ${bytes.length} B exceeds ${MAX_META_HEADER_BYTES} B`);
  const meta = json.decode(bytes);
  if (typeof meta !== "object" || meta === null || Array.isArray(meta)) throw new RpcError("INVALID_REQUEST", `${META_HEADER} must be a JSON object`);
  return meta as Record<string, unknown>;
}

/** The `Farcall-Meta` header value for `meta`; RESOURCE_EXHAUSTED when it is too large. */
export function metaHeader(meta: Record<string, unknown>, json: Codec): string {
  const text = Buffer.from(json.encode(meta)).toString("utf8");
  if (Buffer.byteLength(text) > MAX_META_HEADER_BYTES) throw new RpcError("RESOURCE_EXHAUSTED", `call metadata of ${Buffer.byteLength(text)} B exceeds ${MAX_META_HEADER_BYTES} B`);
  return text;
}

/**
 * Who sent a request, as far as NATS shows it: the reply prefix of a client connection's
 * requests (`_INBOX.<connection>.<request>` without the last token), so one client is one
 * caller. A reply subject of fewer tokens (a client that makes an inbox per request) names
 * no connection and stands for itself: two clients never pass for one.
 */
export function callerOf(reply: string): string {
  const dot = reply.lastIndexOf(".");
  return dot > 0 && reply.indexOf(".") < dot ? reply.slice(0, dot) : reply;
}

/** A MessagePack array of already encoded elements (a batch's frames): its header, then the elements as they are. */
export function arrayOf(elements: readonly Uint8Array[]): Uint8Array {
  const n = elements.length;
  const head = n < 16 ? [0x90 | n] : n < 0x10000 ? [0xdc, n >> 8, n & 0xff] : [0xdd, n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
  let size = head.length;
  for (const e of elements) size += e.length;
  const out = new Uint8Array(size);
  out.set(head);
  let at = head.length;
  for (const e of elements) {
    out.set(e, at);
    at += e.length;
  }
  return out;
}
