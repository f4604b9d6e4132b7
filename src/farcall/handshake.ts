/**
 * The farcall/1 handshake (DESIGN.md, "Handshake"), as pure steps over decoded documents:
 *   1. listener → dialer  {farcall: 1, codecs, auth: "hmac-sha256" | null, challenge}
 *   2. dialer → listener  {codec, proof?: HMAC(key, "farcall/1 dialer" ‖ challenge), challenge: c2}
 *   3. listener → dialer  {ok: true, proof?: HMAC(key, "farcall/1 listener" ‖ c2)} | {ok: false, error}
 * Both sides verify: a server without the key cannot pass itself off as one with it.
 */
import { RpcError } from "../core/errors.js";
import { DIALER_LABEL, LISTENER_LABEL, makeChallenge, proof, verifyProof } from "../net/hmac.js";
import { AUTH_SCHEME } from "./auth-scheme.js";
import type { ResumeRegistry, ResumeStep } from "./resume-registry.js";
import { badServerProof, checkHello, checkVerdict, dialerReplyDoc } from "./handshake-dialer.js";

export { AUTH_SCHEME };

interface Hello {
  farcall: 1;
  codecs: string[];
  auth: string | null;
  challenge: Uint8Array;
  /** How long a dropped session waits for its client (ms), when this listener keeps them. */
  resume?: number;
}

/** Listener, step 1: the hello to send, and the challenge to remember. */
export function listenerHello(key: Uint8Array | undefined, codecs: string[], resumeWindowMs?: number): { hello: Hello; challenge: Uint8Array } {
  const challenge = makeChallenge();
  const hello: Hello = { farcall: 1, codecs, auth: key ? AUTH_SCHEME : null, challenge };
  if (resumeWindowMs) hello.resume = resumeWindowMs;
  return { hello, challenge };
}

/** Listener, step 2 received: the verdict to send as step 3, and the codec chosen. */
export function listenerCheck(
  doc: unknown,
  key: Uint8Array | undefined,
  challenge: Uint8Array,
  codecs: string[],
): { reply: Record<string, unknown>; codec?: string; error?: RpcError } {
  const refuse = (code: "UNAUTHENTICATED" | "INVALID_REQUEST", message: string) => {
    const error = new RpcError(code, message);
    return { reply: { ok: false, error: { code, message } }, error };
  };
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) return refuse("INVALID_REQUEST", "handshake reply must be a map");
  const d = doc as Record<string, unknown>;
  if (typeof d.codec !== "string" || !codecs.includes(d.codec)) return refuse("INVALID_REQUEST", `codec ${JSON.stringify(d.codec)} is not offered`);
  const c2 = d.challenge;
  if (!(c2 instanceof Uint8Array) || c2.length < 16 || c2.length > 64) return refuse("INVALID_REQUEST", "handshake challenge must be 16 to 64 bytes");
  if (key && !verifyProof(key, DIALER_LABEL, challenge, d.proof)) return refuse("UNAUTHENTICATED", "wrong authkey");
  const reply: Record<string, unknown> = { ok: true };
  if (key) reply.proof = proof(key, LISTENER_LABEL, c2);
  return { reply, codec: d.codec };
}

const PLAIN: ResumeStep = { kind: "plain" };

/**
 * Listener, step 2 received, resume form included: the verdict to send, and whether the
 * session starts plain, fresh and resumable, or resumed. A refused resumption refuses the
 * connection (the dialer then opens a fresh session).
 */
export function listenerAccept(
  doc: unknown,
  key: Uint8Array | undefined,
  challenge: Uint8Array,
  codecs: string[],
  registry: ResumeRegistry | undefined,
): { reply: Record<string, unknown>; error?: RpcError; step: ResumeStep } {
  const verdict = listenerCheck(doc, key, challenge, codecs);
  if (verdict.error || !registry) return { ...verdict, step: PLAIN };
  const d = doc as Record<string, unknown>;
  const step = registry.step(d, key, challenge, d.challenge as Uint8Array, verdict.reply);
  if (step.kind !== "refused") return { reply: verdict.reply, step };
  const { code, message } = step.error;
  return { reply: { ok: false, error: { code, message } }, error: step.error, step };
}

/** Dialer, step 1 received: the step-2 document and the challenge it carries, or why not. */
export function dialerReply(
  doc: unknown,
  key: Uint8Array | undefined,
  codec: string,
): { reply: Record<string, unknown>; challenge: Uint8Array } | { error: RpcError } {
  const hello = checkHello(doc, key, codec);
  if ("error" in hello) return hello;
  const challenge = makeChallenge();
  return { reply: dialerReplyDoc(codec, challenge, key ? proof(key, DIALER_LABEL, hello.challenge) : undefined), challenge };
}

/** Dialer, step 3 received: undefined when the session may start, else why not. */
export function dialerCheck(doc: unknown, key: Uint8Array | undefined, challenge: Uint8Array): RpcError | undefined {
  const verdict = checkVerdict(doc);
  if ("error" in verdict) return verdict.error;
  if (key && !verifyProof(key, LISTENER_LABEL, challenge, verdict.proof)) return badServerProof();
  return undefined;
}
