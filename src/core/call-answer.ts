/**
 * How a served call is answered in farcall/1, whatever carries the answer: a Peer's session,
 * or a reply of its own (a NATS request). One place decides whether the caller still waits
 * and what the answer says when its value cannot be sent, so no transport drifts.
 */
import { RpcError, toErrorPayload } from "./errors.js";
import type { IncomingCall } from "./incoming-call.js";
import * as M from "./messages.js";
import type { FrameSink } from "./peer-options.js";
import type { MessageProtocol } from "./protocol.js";
import type { Frame } from "./split-frame.js";

/** Encodes an answer with its transport's rules (references, size limits); throws when it cannot be sent. */
export interface AnswerEncoder<F extends Frame = Uint8Array> {
  encode(message: M.Message): F;
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
export function answerFrame<F extends Frame>(encoder: AnswerEncoder<F>, protocol: MessageProtocol, call: IncomingCall, value: unknown, error: unknown, failed: boolean, exposeErrorStacks: boolean): F | Uint8Array {
  try {
    return encoder.encode(failed ? [M.ERROR, call.id, toErrorPayload(error, exposeErrorStacks)] : [M.RESULT, call.id, value]);
  } catch (err) {
    const e = RpcError.from(err);
    const what = failed ? "threw an error that" : "returned a value that";
    // INVALID_PARAMS would blame the caller's arguments; the value is the handler's.
    return protocol.encode([M.ERROR, call.id, { code: e.code === "INVALID_PARAMS" ? "INTERNAL" : e.code, message: `${call.method} ${what} cannot be sent: ${e.message}` }]);
  }
}

/**
 * Room an answer must leave under the write-buffer limits, so that the short error that
 * replaces an answer too large to queue still fits (its message names a method and a limit).
 */
const ERROR_FRAME_ROOM = 1024;

/** Values {@link leastEncodedBytes} looks at before it settles for what it has counted. */
const SIZE_WALK_NODES = 1000;

/**
 * The answer to `call` as a frame `sink` can queue: its RESULT or ERROR frame (see
 * {@link answerFrame}), or when that does not fit under the transport's write-buffer limits
 * with room left for a short error, that error (RESOURCE_EXHAUSTED), so the call fails alone
 * and a caller asking for many large answers it does not read makes us hold no more than
 * the limits say. An answer that cannot fit by its strings and bytes alone is refused before
 * it is encoded: refused answers cost no copy.
 */
export function queuedAnswer<F extends Frame>(sink: FrameSink, encoder: AnswerEncoder<F>, protocol: MessageProtocol, call: IncomingCall, value: unknown, error: unknown, failed: boolean, exposeErrorStacks: boolean): F | Uint8Array {
  if (sink.overLimit === undefined) return answerFrame(encoder, protocol, call, value, error, failed, exposeErrorStacks);
  // A number, boolean or null answer is a few bytes: the check after encoding is all it needs,
  // so the common small answer walks nothing and asks the limits once.
  if (!failed && (typeof value === "string" || (typeof value === "object" && value !== null))) {
    const least = leastEncodedBytes(value);
    const over = sink.overLimit(least + ERROR_FRAME_ROOM);
    if (over !== undefined) return exhausted(protocol, call, `at least ${least}`, over);
  }
  const frame = answerFrame(encoder, protocol, call, value, error, failed, exposeErrorStacks);
  const over = sink.overLimit(frame.byteLength + ERROR_FRAME_ROOM);
  return over === undefined ? frame : exhausted(protocol, call, String(frame.byteLength), over);
}

function exhausted(protocol: MessageProtocol, call: IncomingCall, size: string, over: string): Uint8Array {
  return protocol.encode([M.ERROR, call.id, { code: "RESOURCE_EXHAUSTED", message: `${call.method}'s answer of ${size} B cannot be queued: ${over}` }]);
}

/**
 * A lower bound of the bytes `value` encodes to in any farcall codec: its strings (a UTF-16
 * unit is at least one UTF-8 byte) and byte arrays, over at most SIZE_WALK_NODES values, so
 * the walk costs little even for a huge answer.
 */
export function leastEncodedBytes(value: unknown): number {
  let total = 0;
  let visited = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0 && visited < SIZE_WALK_NODES) {
    const v = stack.pop();
    visited++;
    if (typeof v === "string") total += v.length;
    else if (ArrayBuffer.isView(v)) total += v.byteLength;
    else if (Array.isArray(v)) for (let i = 0; i < v.length && i < SIZE_WALK_NODES; i++) stack.push(v[i]);
    else if (v !== null && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
      for (const key in v) {
        total += key.length;
        stack.push((v as Record<string, unknown>)[key]);
      }
    }
  }
  return total;
}
