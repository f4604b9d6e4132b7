/**
 * Reading a call's metadata as it arrived from a peer: every field is untrusted, so each is
 * checked for type before use.
 */
import type { CallMeta } from "./messages.js";

/** True for anything with a callable `then` (a handler's async result). */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function";
}

/** The caller's own metadata (context().meta), when it is a plain map. */
export function metaOf(meta: CallMeta | undefined): Record<string, unknown> | undefined {
  const md = meta?.metadata;
  return typeof md === "object" && md !== null && !Array.isArray(md) ? md : undefined;
}

/** The absolute deadline of a relative `timeout`, on this side's clock. */
export function deadlineOf(meta: CallMeta | undefined): number | undefined {
  const t = meta?.timeout;
  return typeof t === "number" && t > 0 && Number.isFinite(t) ? Date.now() + t : undefined;
}

/** The metadata a call carries on the wire: its relative timeout (ms, 0 for none) and the caller's metadata. */
export function wireMetaOf(timeout: number, metadata: Record<string, unknown> | undefined): CallMeta {
  const meta: CallMeta = {};
  if (timeout > 0) meta.timeout = timeout;
  if (metadata) meta.metadata = metadata;
  return meta;
}
