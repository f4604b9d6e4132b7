/**
 * References as the codec sees them: the kinds of the reference extension, the form a
 * reference takes on its way out, and the one slot through which the codec reaches the
 * session of the message being encoded or decoded (encoding and decoding are synchronous,
 * so one slot serves every peer).
 */
import type { RefSession } from "./ref-session.js";

/** Kinds of reference on the wire (the first element of a reference extension). */
export const REF_FUNCTION = 0;
export const REF_OBJECT = 1;
export const REF_STREAM = 2;
/** A reference the receiver itself exported, coming home. */
export const REF_YOURS = 3;

/** A reference on its way out, as the codec writes it. */
export class WireRef {
  constructor(
    readonly kind: number,
    readonly id: number,
    readonly names?: string[],
  ) {}
}

let active: RefSession | undefined;

/** The session of the message being encoded or decoded, if any. */
export function activeRefs(): RefSession | undefined {
  return active;
}

/** Makes `session` the active one; returns the previous one to restore. */
export function enterRefs(session: RefSession | undefined): RefSession | undefined {
  const previous = active;
  active = session;
  return previous;
}
