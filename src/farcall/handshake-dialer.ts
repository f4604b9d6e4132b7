/**
 * The dialer's side of the farcall/1 handshake (handshake.ts has the whole exchange), free of
 * Node modules so a browser can dial: the checks of the server's documents are pure, and
 * the HMAC comes through a {@link ProofSigner}: node:crypto on Node (synchronous), WebCrypto
 * in a browser (asynchronous, since crypto.subtle has no synchronous HMAC).
 */
import { AUTH_SCHEME } from "./auth-scheme.js";
import { CHALLENGE_BYTES } from "../core/authkey.js";
import { RpcError } from "../core/errors.js";

/** HMAC-SHA256(key, label ‖ challenge), now or later. */
export interface ProofSigner {
  sign(key: Uint8Array, label: string, challenge: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

const utf8 = new TextEncoder();

/** The HMAC of WebCrypto (browsers, workers, Deno, Node's globalThis.crypto). */
export const webCryptoSigner: ProofSigner = {
  async sign(key, label, challenge) {
    const hmacKey = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    const labelBytes = utf8.encode(label);
    const data = new Uint8Array(labelBytes.length + challenge.length);
    data.set(labelBytes, 0);
    data.set(challenge, labelBytes.length);
    return new Uint8Array(await crypto.subtle.sign("HMAC", hmacKey, data));
  },
};

/** A fresh random challenge from the runtime's CSPRNG. */
export function randomChallenge(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(CHALLENGE_BYTES));
}

/** Step 1 received: the server's challenge, or why the dialer will not go on. */
export function checkHello(doc: unknown, key: Uint8Array | undefined, codec: string): { challenge: Uint8Array } | { error: RpcError } {
  if (typeof doc !== "object" || doc === null) return { error: new RpcError("UNAVAILABLE", "the server's hello is not a map") };
  const h = doc as Record<string, unknown>;
  if (h.farcall !== 1) return { error: new RpcError("UNAVAILABLE", `the server speaks farcall/${String(h.farcall)}, not farcall/1`) };
  if (!Array.isArray(h.codecs) || !h.codecs.includes(codec)) return { error: new RpcError("UNAVAILABLE", `the server does not offer codec ${codec}`) };
  if (!(h.challenge instanceof Uint8Array) || h.challenge.length !== CHALLENGE_BYTES) {
    return { error: new RpcError("UNAVAILABLE", "the server's challenge is malformed") };
  }
  if (h.auth === AUTH_SCHEME && !key) return { error: new RpcError("UNAUTHENTICATED", "the server requires an authkey and none was given") };
  if (h.auth !== AUTH_SCHEME && h.auth !== null) return { error: new RpcError("UNAUTHENTICATED", `unsupported auth scheme ${JSON.stringify(h.auth)}`) };
  if (h.auth === null && key) {
    return { error: new RpcError("UNAUTHENTICATED", "the server does not authenticate, so it cannot prove it holds the authkey; refusing to talk to it") };
  }
  return { challenge: h.challenge };
}

/** Step 3 received: the server's proof (unchecked), or its refusal. */
export function checkVerdict(doc: unknown): { proof: unknown } | { error: RpcError } {
  if (typeof doc !== "object" || doc === null) return { error: new RpcError("UNAVAILABLE", "the server's verdict is not a map") };
  const d = doc as Record<string, unknown>;
  if (d.ok !== true) {
    const e = (d.error ?? {}) as Record<string, unknown>;
    const code = e.code === "INVALID_REQUEST" ? "UNAVAILABLE" : "UNAUTHENTICATED";
    return { error: new RpcError(code, `the server refused the handshake: ${typeof e.message === "string" ? e.message : "no reason given"}`) };
  }
  return { proof: d.proof };
}

/** The error for a server whose proof does not check out. */
export function badServerProof(): RpcError {
  return new RpcError("UNAUTHENTICATED", "the server could not prove it holds the authkey");
}

/** Equal bytes, compared in time that depends only on the length (both proofs are 32 bytes). */
export function sameProof(expected: Uint8Array, candidate: unknown): boolean {
  if (!(candidate instanceof Uint8Array) || candidate.length !== expected.length) return false;
  let diff = 0;
  for (let i = 0; i < expected.length; i++) diff |= expected[i]! ^ candidate[i]!;
  return diff === 0;
}

/** The step-2 document. */
export function dialerReplyDoc(codec: string, challenge: Uint8Array, proof: Uint8Array | undefined): Record<string, unknown> {
  const reply: Record<string, unknown> = { codec, challenge };
  if (proof) reply.proof = proof;
  return reply;
}
