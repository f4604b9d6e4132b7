/**
 * The dialer's side of the resume form of the handshake (resume-handshake.ts has the
 * exchange), for stream and message sessions alike, free of Node modules. Every HMAC it
 * needs is known once both challenges are (step 2), so it is computed then, possibly
 * asynchronously (WebCrypto); the verdict is checked synchronously, before any message
 * the listener sends after it can be read.
 */
import { RESUME_DIALER_LABEL, RESUME_LISTENER_LABEL, RESUME_NEXT_LABEL, RESUME_SECRET_LABEL, concat, readFreshVerdict, readResumedVerdict, resumeRefused } from "./resume-handshake.js";
import { ResumableLink, type ResumeHooks, type ResumeLimits } from "./resume-link.js";
import { sameProof, type ProofSigner } from "./handshake-dialer.js";
import { RpcError } from "../core/errors.js";
import type { FrameSink } from "../core/peer-options.js";
import type { Logger } from "../core/logger.js";

/** A client's wish for resumable sessions: their bounds, and who hears of their drops. */
export interface ClientResume {
  limits: Omit<ResumeLimits, "windowMs">;
  hooks: ResumeHooks;
}

/** What the dialer wants: a fresh resumable session (`limits`), or to resume `resuming`. */
export interface ResumeWish extends Partial<ClientResume> {
  resuming?: ResumableLink | undefined;
}

/** Step 2's part: the reply's `resume` field and what the verdict will be checked against. */
export interface ResumePlan {
  /** The reply's `resume` field; undefined asks for a plain session. */
  ask: unknown;
  /** Resuming: the listener's proof to expect. */
  listenerProof?: Uint8Array;
  /** The session's secret from now on (derived from the authkey, or the next one after a resumption). */
  secret?: Uint8Array;
}

/** Plans the resume part of step 2, given the listener's hello and both challenges. */
export async function planResume(
  hello: Record<string, unknown>,
  wish: ResumeWish,
  key: Uint8Array | undefined,
  c1: Uint8Array,
  c2: Uint8Array,
  signer: ProofSigner,
): Promise<ResumePlan | RpcError> {
  const offered = typeof hello.resume === "number" && hello.resume > 0;
  const resuming = wish.resuming;
  if (resuming) {
    if (!offered) return resumeRefused("the server keeps no sessions for resumption (resumeWindowMs is 0 there)");
    const { id, secret } = resuming.ticket;
    return {
      ask: { id, proof: await signer.sign(secret, RESUME_DIALER_LABEL, c1), received: resuming.received },
      listenerProof: await signer.sign(secret, RESUME_LISTENER_LABEL, c2),
      secret: await signer.sign(secret, RESUME_NEXT_LABEL, concat(c1, c2)),
    };
  }
  if (!wish.limits || !offered) return { ask: undefined };
  return key ? { ask: true, secret: await signer.sign(key, RESUME_SECRET_LABEL, concat(c1, c2)) } : { ask: true };
}

/**
 * Step 3, once the verdict said ok and its authkey proof checked out: the resumed session
 * (its ticket renewed; the caller wires the connection, then attaches it with `received`), a
 * new resumable one over `transport`, or none (a plain session).
 */
export function settleResume(
  verdict: Record<string, unknown>,
  plan: ResumePlan,
  wish: ResumeWish,
  transport: FrameSink,
  where: string,
  logger: Logger,
): { resumed: ResumableLink; received: number } | { fresh: ResumableLink | undefined } | RpcError {
  const resuming = wish.resuming;
  if (resuming) {
    const field = readResumedVerdict(verdict.resume);
    if (field instanceof RpcError) return resumeRefused(field.message);
    if (!sameProof(plan.listenerProof!, field.proof)) return resumeRefused("the server could not prove it holds the session's resume secret");
    const lossy = resuming.resumeError(field.received);
    if (lossy !== undefined) return resumeRefused(`the session cannot be resumed without loss: ${lossy}`);
    resuming.ticket = { id: resuming.ticket.id, secret: plan.secret! };
    return { resumed: resuming, received: field.received };
  }
  if (plan.ask === undefined) return { fresh: undefined };
  const field = readFreshVerdict(verdict.resume, plan.secret !== undefined);
  if (field instanceof RpcError) return field;
  const link = new ResumableLink(transport, { ...wish.limits!, windowMs: field.windowMs }, logger, where, wish.hooks);
  link.ticket = { id: field.id, secret: plan.secret ?? field.secret! };
  return { fresh: link };
}
