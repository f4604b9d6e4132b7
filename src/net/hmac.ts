/**
 * The primitives of farcall/1's mutual HMAC-SHA256 authentication. The key never crosses
 * the wire: each side proves it holds it by keying an HMAC over the other side's random
 * challenge, under a label that differs by role so one side's proof is never the other's.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export const DIALER_LABEL = "farcall/1 dialer";
export const LISTENER_LABEL = "farcall/1 listener";
/** Bytes of a challenge: 256 bits, so a proof can never be reused on another connection. */
export const CHALLENGE_BYTES = 32;

/** A fresh random challenge. */
export function makeChallenge(): Buffer {
  return randomBytes(CHALLENGE_BYTES);
}

/** HMAC-SHA256(key, label ‖ challenge). */
export function proof(key: Uint8Array, label: string, challenge: Uint8Array): Buffer {
  return createHmac("sha256", key).update(label).update(challenge).digest();
}

/** Checks a proof in constant time; anything that is not 32 bytes fails. */
export function verifyProof(key: Uint8Array, label: string, challenge: Uint8Array, candidate: unknown): boolean {
  if (!(candidate instanceof Uint8Array) || candidate.length !== 32) return false;
  return timingSafeEqual(proof(key, label, challenge), candidate);
}

/** The key bytes of an authkey given as text (UTF-8) or bytes. */
export function keyBytes(authkey: string | Uint8Array): Uint8Array {
  return typeof authkey === "string" ? Buffer.from(authkey, "utf8") : authkey;
}
