/**
 * The resume form of the farcall/1 handshake, the parts both sides share. A listener that
 * keeps sessions adds `resume: windowMs` to its hello; a dialer that wants a resumable
 * session answers `resume: true`, and one resuming answers `resume: {id, proof, received}`.
 *
 * A new resumable session gets an id and a secret in the verdict: `resume: {id, windowMs}`.
 * With an authkey the secret never crosses the wire: both sides derive it as
 * HMAC(key, "farcall/1 resume secret" ‖ c1 ‖ c2) from the two challenges of that handshake;
 * without one it is sent (`secret`), so only TLS keeps it from an eavesdropper, as it does
 * the calls themselves. To resume, the dialer proves the secret over the new connection's
 * listener challenge (HMAC(secret, "farcall/1 resume dialer" ‖ c1)), and the listener proves
 * it back over the dialer's (label "farcall/1 resume listener"), so neither side can be
 * impersonated; the authkey proofs of the handshake still run too. Each resumption replaces
 * the secret by HMAC(secret, "farcall/1 resume next" ‖ c1 ‖ c2): a secret that has resumed
 * a session once is spent. An attacker who sees the id can only offer proofs that fail;
 * a failed attempt leaves the waiting session alone, so it cannot be used to end it either.
 */
import { RpcError } from "../core/errors.js";

export const RESUME_SECRET_LABEL = "farcall/1 resume secret";
export const RESUME_DIALER_LABEL = "farcall/1 resume dialer";
export const RESUME_LISTENER_LABEL = "farcall/1 resume listener";
export const RESUME_NEXT_LABEL = "farcall/1 resume next";
/** Bytes of a session id and of a secret sent in clear: 128 and 256 bits. */
export const SESSION_ID_BYTES = 16;
export const SECRET_BYTES = 32;

/** A resume request in the dialer's reply (step 2). */
export interface ResumeRequest {
  id: string;
  proof: Uint8Array;
  received: number;
}

/** `a ‖ b`. */
export function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

function isCount(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

/** The `resume` field of a dialer's reply: "fresh" (true), a request, absent, or malformed (a message). */
export function readResumeField(doc: Record<string, unknown>): "fresh" | ResumeRequest | undefined | string {
  const r = doc.resume;
  if (r === undefined || r === false || r === null) return undefined;
  if (r === true) return "fresh";
  if (typeof r !== "object" || Array.isArray(r)) return "resume must be true or {id, proof, received}";
  const { id, proof, received } = r as Record<string, unknown>;
  if (typeof id !== "string" || id.length > 64) return "resume.id must be a string of at most 64 characters";
  if (!(proof instanceof Uint8Array) || proof.length !== 32) return "resume.proof must be 32 bytes";
  if (!isCount(received)) return "resume.received must be a non-negative integer";
  return { id, proof, received };
}

/** The listener's answer to a fresh resumable session, as the dialer reads it from the verdict. */
export function readFreshVerdict(v: unknown, keyed: boolean): { id: string; windowMs: number; secret?: Uint8Array } | RpcError {
  if (typeof v !== "object" || v === null) return new RpcError("UNAVAILABLE", "the server's verdict has no resume ticket");
  const { id, windowMs, secret } = v as Record<string, unknown>;
  if (typeof id !== "string" || id.length === 0 || id.length > 64) return new RpcError("UNAVAILABLE", "the server's resume id is malformed");
  if (!isCount(windowMs) || windowMs === 0) return new RpcError("UNAVAILABLE", "the server's resume window is malformed");
  if (keyed) return { id, windowMs };
  if (!(secret instanceof Uint8Array) || secret.length !== SECRET_BYTES) return new RpcError("UNAVAILABLE", "the server's resume secret is malformed");
  return { id, windowMs, secret };
}

/** The listener's answer to a resumption, as the dialer reads it: how many messages it received, and its proof. */
export function readResumedVerdict(v: unknown): { received: number; proof: unknown } | RpcError {
  if (typeof v !== "object" || v === null) return new RpcError("UNAVAILABLE", "the server accepted the connection but did not resume the session");
  const { received, proof } = v as Record<string, unknown>;
  if (!isCount(received)) return new RpcError("UNAVAILABLE", "the server's resume count is malformed");
  return { received, proof };
}

/** The error a dialer gets when the server will not resume its session: a fresh session is the way on. */
export function resumeRefused(message: string): RpcError {
  return new RpcError("UNAVAILABLE", message, { resume: "refused" });
}

/** Whether `error` says the session cannot be resumed (rather than that the server was not reached). */
export function isResumeRefusal(error: RpcError): boolean {
  const data = error.data as { resume?: unknown } | undefined;
  return data?.resume === "refused";
}
