/**
 * The server's resumable farcall/1 sessions (resume-handshake.ts has the exchange): each by
 * its id while it lives, the detached ones capped by maxDetachedSessions so clients that
 * vanish cannot make the server keep sessions without bound.
 */
import { randomBytes } from "node:crypto";
import { RpcError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import type { FrameSink } from "../core/peer-options.js";
import { proof, verifyProof } from "../net/hmac.js";
import {
  concat, readResumeField, RESUME_DIALER_LABEL, RESUME_LISTENER_LABEL, RESUME_NEXT_LABEL, RESUME_SECRET_LABEL,
  SECRET_BYTES, SESSION_ID_BYTES,
} from "./resume-handshake.js";
import { ResumableLink, type ResumeBudget, type ResumeHooks, type ResumeLimits } from "./resume-link.js";

/** A server's resumption settings. */
export interface ResumeSettings extends ResumeLimits {
  /** Sessions waiting for their client at once, over the whole server; a drop past it ends the session. */
  maxDetached: number;
}

/** What the listener does with a dialer's reply, once its authkey proof checked out. */
export type ResumeStep =
  | { kind: "plain" }
  | { kind: "fresh"; open(transport: FrameSink, where: string): ResumableLink }
  | { kind: "resumed"; link: ResumableLink; received: number }
  | { kind: "refused"; error: RpcError };

export class ResumeRegistry implements ResumeHooks {
  private readonly sessions = new Map<string, ResumableLink>();
  private readonly waiting = new Set<ResumableLink>();
  private closing = false;

  constructor(
    readonly settings: ResumeSettings,
    private readonly logger: Logger,
    private readonly budget?: ResumeBudget,
  ) {}

  /** Sessions waiting for their client now. */
  get detachedCount(): number {
    return this.waiting.size;
  }

  /**
   * The listener's step for a dialer's reply `doc` on a connection whose challenges were
   * `c1` (the listener's) and `c2` (the dialer's). `verdict` gets its `resume` field.
   */
  step(doc: Record<string, unknown>, key: Uint8Array | undefined, c1: Uint8Array, c2: Uint8Array, verdict: Record<string, unknown>): ResumeStep {
    const field = readResumeField(doc);
    if (field === undefined) return { kind: "plain" };
    if (field === "fresh") {
      const id = randomBytes(SESSION_ID_BYTES).toString("base64url");
      const secret = key ? proof(key, RESUME_SECRET_LABEL, concat(c1, c2)) : randomBytes(SECRET_BYTES);
      verdict.resume = key ? { id, windowMs: this.settings.windowMs } : { id, windowMs: this.settings.windowMs, secret };
      return {
        kind: "fresh",
        open: (transport, where) => {
          const link = new ResumableLink(transport, this.settings, this.logger, where, this, this.budget);
          link.ticket = { id, secret };
          this.sessions.set(id, link);
          return link;
        },
      };
    }
    if (typeof field === "string") return { kind: "refused", error: new RpcError("INVALID_REQUEST", field) };
    const link = this.sessions.get(field.id);
    if (!link) return refused(`no session ${field.id} waits to be resumed: it never existed, ended, or passed resumeWindowMs`);
    const { secret } = link.ticket;
    // A wrong proof leaves the session alone: whoever knows only its id cannot end it.
    if (!verifyProof(secret, RESUME_DIALER_LABEL, c1, field.proof)) return refused(`wrong resume proof for session ${field.id} (a secret that already resumed it is spent)`);
    const lossy = link.resumeError(field.received);
    if (lossy !== undefined) {
      link.peer.close(new RpcError("UNAVAILABLE", `the session cannot be resumed without loss: ${lossy}`));
      return refused(`session ${field.id} cannot be resumed without loss: ${lossy}`);
    }
    link.ticket = { id: field.id, secret: proof(secret, RESUME_NEXT_LABEL, concat(c1, c2)) };
    verdict.resume = { received: link.received, proof: proof(secret, RESUME_LISTENER_LABEL, c2) };
    return { kind: "resumed", link, received: field.received };
  }

  detaching(): string | undefined {
    if (this.closing) return "the server is shutting down";
    const max = this.settings.maxDetached;
    return this.waiting.size >= max ? `maxDetachedSessions ${max} sessions already wait for their clients` : undefined;
  }

  detached(link: ResumableLink): void {
    this.waiting.add(link);
  }

  settled(link: ResumableLink): void {
    this.waiting.delete(link);
  }

  closed(link: ResumableLink): void {
    if (this.sessions.get(link.ticket.id) === link) this.sessions.delete(link.ticket.id);
  }

  /** Ends every session that waits for its client, and lets no other wait: the server is closing. */
  closeDetached(reason: RpcError): void {
    this.closing = true;
    for (const link of [...this.waiting]) link.peer.close(reason);
  }
}

function refused(message: string): ResumeStep {
  return { kind: "refused", error: new RpcError("UNAVAILABLE", message) };
}
