/**
 * What farcall/1's mutual authentication shares between runtimes: the key bytes of an
 * authkey (text is UTF-8, bytes are used as given), and the labels and challenge size of
 * its proofs (net/hmac.ts computes them with Node's crypto module, farcall/handshake-dialer.ts
 * with WebCrypto where that module does not exist).
 */

export const DIALER_LABEL = "farcall/1 dialer";
export const LISTENER_LABEL = "farcall/1 listener";
/** Bytes of a challenge: 256 bits, so a proof can never be reused on another connection. */
export const CHALLENGE_BYTES = 32;

const utf8 = new TextEncoder();

/** The key bytes of an authkey given as text (UTF-8) or bytes. */
export function keyBytes(authkey: string | Uint8Array): Uint8Array {
  return typeof authkey === "string" ? utf8.encode(authkey) : authkey;
}
