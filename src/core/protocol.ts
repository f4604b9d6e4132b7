/**
 * The protocol seam: a Message to a frame's bytes and back. farcall/1 is one
 * implementation (src/core/farcall-protocol.ts); the peer sees only this interface.
 */
import type { RpcError } from "./errors.js";
import type { Message } from "./messages.js";
import type { RefContext } from "./ref-wire.js";
import type { Frame } from "./split-frame.js";

/** `refs`: the session's references, which the message's values may carry (see Codec). */
export interface MessageProtocol {
  encode(message: Message, refs?: RefContext): Uint8Array;
  /** Like encode, with large byte arrays left beside the frame (see Codec.encodeSplit); optional. */
  encodeSplit?(message: Message, refs?: RefContext): Frame;
  /** Decodes and validates the message in bytes `start` to `end`; throws {@link MessageError} when it cannot. */
  decode(frame: Uint8Array, start: number, end: number, refs?: RefContext): Message;
}

/**
 * A frame that is not a valid message. When the frame still shows which call it was
 * (`callId`), the peer answers that call with `error` and keeps the connection; when it was
 * the answer to one of our calls (`resultId`), that call fails; otherwise the connection is
 * closed.
 */
export class MessageError {
  constructor(
    readonly error: RpcError,
    readonly callId?: number,
    /** Set instead of callId when the frame was the answer to call `resultId`: that call fails. */
    readonly resultId?: number,
  ) {}
}
