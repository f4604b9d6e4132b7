/**
 * The messages of farcall/1 (see DESIGN.md, "Wire protocol"). After the handshake every
 * frame holds one message: an array whose first element is its type.
 */

export const CALL = 0;
export const RESULT = 1;
export const ERROR = 2;
export const NOTIFY = 3;
export const CANCEL = 4;
export const NEXT = 5;
export const END = 6;
export const CREDIT = 7;
export const RELEASE = 8;
export const PING = 9;
export const PONG = 10;
export const GOAWAY = 11;
/**
 * `[12, received]`: on a resumable session, how many messages this side has received so far
 * (cumulative), so the other side may drop them from what it keeps for a resumption. Handled
 * below the Peer (farcall/resume-link.ts) and never numbered itself.
 */
export const ACK = 12;

/** Per-call metadata: `timeout` is relative milliseconds, because clocks differ between hosts. */
export interface CallMeta {
  timeout?: number;
  /** The caller's own metadata, seen by the handler as `context().meta`. */
  metadata?: Record<string, unknown>;
}

export type CallMessage = [typeof CALL, id: number, target: string, args: unknown[], meta?: CallMeta];
export type ResultMessage = [typeof RESULT, id: number, value: unknown];
export type ErrorMessage = [typeof ERROR, id: number, error: unknown];
export type NotifyMessage = [typeof NOTIFY, target: string, args: unknown[], meta?: CallMeta];
/** `reason` is "DEADLINE_EXCEEDED" when the caller's deadline passed; absent for any other cancel. */
export type CancelMessage = [typeof CANCEL, id: number, reason?: string];
export type PingMessage = [typeof PING | typeof PONG, nonce: number];
export type GoawayMessage = [typeof GOAWAY, reason: string];
/** One item of stream `streamId`, from its producer. */
export type NextMessage = [typeof NEXT, streamId: number, value: unknown];
/** The producer finished stream `streamId`, with an error payload when it failed. */
export type EndMessage = [typeof END, streamId: number, error?: unknown];
/** The consumer may take `n` more items of stream `streamId`; 0 means it stopped. */
export type CreditMessage = [typeof CREDIT, streamId: number, n: number];
/** The importer dropped `count` receipts of reference `refId`. */
export type ReleaseMessage = [typeof RELEASE, refId: number, count: number];

export type Message =
  | CallMessage
  | ResultMessage
  | ErrorMessage
  | NotifyMessage
  | CancelMessage
  | PingMessage
  | GoawayMessage
  | NextMessage
  | EndMessage
  | CreditMessage
  | ReleaseMessage;

/** Reserved method: the exposed methods with their arity. `$` names are never user methods. */
export const LIST_METHODS = "$methods";
