/**
 * The primitives of farcall/1's mutual HMAC-SHA256 authentication. The key never crosses
 * the wire: each side proves it holds it by keying an HMAC over the other side's random
 * challenge, under a label that differs by role so one side's proof is never the other's.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

import { CHALLENGE_BYTES } from "../core/authkey.js";

export { CHALLENGE_BYTES, DIALER_LABEL, LISTENER_LABEL } from "../core/authkey.js";

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

