/**
 * How a served call is answered in farcall/1, whatever carries the answer: a Peer's session,
 * or a reply of its own (a NATS request). One place decides whether the caller still waits
 * and what the answer says when its value cannot be sent, so no transport drifts.
 */
import { RpcError, toErrorPayload } from "./errors.js";
import type { IncomingCall } from "./incoming-call.js";
import * as M from "./messages.js";
import type { MessageProtocol } from "./protocol.js";

/** Encodes an answer with its transport's rules (references, size limits); throws when it cannot be sent. */
export interface AnswerEncoder {
  encode(message: M.Message): Uint8Array;
}

/**
 * Whether the caller of a served call still waits for its answer: not for a notification,
 * nor once the caller cancelled it or went away. A call whose deadline passed is answered
 * (DEADLINE_EXCEEDED).
 */
export function awaitsAnswer(call: IncomingCall): boolean {
  return !call.notification && !(call.abandoned && call.abandoned.code !== "DEADLINE_EXCEEDED");
}

/**
 * The RESULT or ERROR frame answering `call`. An answer `encoder` cannot send (too large,
 * not encodable, past a reference limit) becomes an ERROR naming why, encoded plainly: the
 * caller always learns something, and the session goes on.
 */
export function answerFrame(encoder: AnswerEncoder, protocol: MessageProtocol, call: IncomingCall, value: unknown, error: unknown, failed: boolean, exposeErrorStacks: boolean): Uint8Array {
  try {
    return encoder.encode(failed ? [M.ERROR, call.id, toErrorPayload(error, exposeErrorStacks)] : [M.RESULT, call.id, value]);
  } catch (err) {
    const e = RpcError.from(err);
    const what = failed ? "threw an error that" : "returned a value that";
    // INVALID_PARAMS would blame the caller's arguments; the value is the handler's.
    return protocol.encode([M.ERROR, call.id, { code: e.code === "INVALID_PARAMS" ? "INTERNAL" : e.code, message: `${call.method} ${what} cannot be sent: ${e.message}` }]);
  }
}
