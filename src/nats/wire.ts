/**
 * What a farcall call looks like on NATS, shared by both ends: the body of a request is one
 * farcall/1 frame (CALL, or NOTIFY for a publish; a batch is a MessagePack array of them),
 * the body of a reply a RESULT or ERROR frame (a batch's reply an array of them), and the
 * call's deadline and metadata travel in headers (core/call-headers.ts, as over HTTP), where
 * NATS tools can see them (a frame's own meta counts where no header is given). A client asks
 * for its reply on `<inbox>.<call id>`, so the reply subject names the call it answers.
 *
 * Sessions (callbacks, references, streams) need one partner for their lifetime; they are
 * plain farcall/1 frames on subjects of their own, see session.ts. A reply whose result
 * lives in a session names it in `Farcall-Session`.
 */

/** Reply header: the id of the instance that answered. */
export const INSTANCE_HEADER = "Farcall-Instance";

/**
 * Who sent a request, as far as NATS shows it: the reply prefix of a client connection's
 * requests (`_INBOX.<connection>.<request>` without the last token), so one client is one
 * caller. A reply subject of fewer tokens (a client that makes an inbox per request) names
 * no connection and stands for itself: two clients never pass for one.
 */
export function callerOf(reply: string): string {
  const dot = reply.lastIndexOf(".");
  return dot > 0 && reply.indexOf(".") < dot ? reply.slice(0, dot) : reply;
}

/** A MessagePack array of already encoded elements (a batch's frames): its header, then the elements as they are. */
export function arrayOf(elements: readonly Uint8Array[]): Uint8Array {
  const n = elements.length;
  const head = n < 16 ? [0x90 | n] : n < 0x10000 ? [0xdc, n >> 8, n & 0xff] : [0xdd, n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
  let size = head.length;
  for (const e of elements) size += e.length;
  const out = new Uint8Array(size);
  out.set(head);
  let at = head.length;
  for (const e of elements) {
    out.set(e, at);
    at += e.length;
  }
  return out;
}
