/**
 * farcall/1 messages over a codec: validation of every field a peer sent, so the core only
 * ever sees well-formed messages. See DESIGN.md, "Wire protocol farcall/1".
 */
import type { Codec } from "./codec.js";
import { RpcError } from "./errors.js";
import * as M from "./messages.js";
import { MessageError, type MessageProtocol } from "./protocol.js";

/** The dialer's first bytes on a stream transport: ASCII `FARCALL/1`. */
export const PREAMBLE = new Uint8Array([0x46, 0x41, 0x52, 0x43, 0x41, 0x4c, 0x4c, 0x2f, 0x31]);

/** Longest method path accepted, in characters. */
const MAX_TARGET_LENGTH = 1024;

function isId(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 0xffffffff;
}

function isMeta(v: unknown): v is M.CallMeta | undefined {
  return v === undefined || v === null || (typeof v === "object" && !Array.isArray(v));
}

function invalid(message: string, callId?: number): MessageError {
  return new MessageError(new RpcError("INVALID_REQUEST", message), callId);
}

/** Checks a decoded document is a farcall/1 message; throws MessageError otherwise. */
export function validateMessage(doc: unknown): M.Message {
  if (!Array.isArray(doc) || doc.length < 2) throw invalid("a message must be an array of at least 2 elements");
  switch (doc[0]) {
    case M.CALL: {
      const id = doc[1];
      if (!isId(id)) throw invalid("CALL id must be an unsigned 32-bit integer");
      if (typeof doc[2] !== "string" || doc[2].length > MAX_TARGET_LENGTH) throw invalid(`CALL target must be a string of at most ${MAX_TARGET_LENGTH} characters`, id);
      if (!Array.isArray(doc[3])) throw invalid("CALL args must be an array", id);
      if (!isMeta(doc[4])) throw invalid("CALL meta must be a map", id);
      return doc as M.CallMessage;
    }
    case M.NOTIFY:
      if (typeof doc[1] !== "string" || doc[1].length > MAX_TARGET_LENGTH || !Array.isArray(doc[2]) || !isMeta(doc[3])) {
        throw invalid("NOTIFY needs a target string and an args array");
      }
      return doc as M.NotifyMessage;
    case M.RESULT:
    case M.ERROR:
    case M.CANCEL:
      if (!isId(doc[1])) throw invalid("message id must be an unsigned 32-bit integer");
      return doc as M.Message;
    case M.PING:
    case M.PONG:
      return doc as M.PingMessage;
    case M.NEXT:
    case M.END:
      if (!isId(doc[1])) throw invalid("stream id must be an unsigned 32-bit integer");
      return doc as M.Message;
    case M.CREDIT:
    case M.RELEASE:
      if (!isId(doc[1]) || !isId(doc[2])) throw invalid(`${doc[0] === M.CREDIT ? "CREDIT" : "RELEASE"} needs an id and a count, both unsigned 32-bit integers`);
      return doc as M.Message;
    case M.GOAWAY:
      return [M.GOAWAY, typeof doc[1] === "string" ? doc[1] : "going away"];
    default:
      throw invalid(`unknown message type ${JSON.stringify(doc[0])}`);
  }
}

/**
 * The id of a CALL (fixarray of 4 or 5, type 0) or RESULT (fixarray of 3, type 1) read straight
 * from its MessagePack bytes, so a message whose body breaks a limit fails only its call
 * instead of the connection.
 */
function peekMsgpackId(b: Uint8Array, s: number, end: number, type: number): number | undefined {
  const n = end - s;
  if (n < 3 || b[s + 1] !== type) return undefined;
  if (type === M.CALL ? b[s] !== 0x94 && b[s] !== 0x95 : b[s] !== 0x93) return undefined;
  const t = b[s + 2];
  if (t <= 0x7f) return t;
  if (t === 0xcc && n > 3) return b[s + 3];
  if (t === 0xcd && n > 4) return (b[s + 3] << 8) | b[s + 4];
  if (t === 0xce && n > 6) return b[s + 3] * 0x1000000 + ((b[s + 4] << 16) | (b[s + 5] << 8) | b[s + 6]);
  return undefined;
}

/** farcall/1 over `codec`. */
export function createFarcallProtocol(codec: Codec): MessageProtocol {
  // Over MessagePack, a message the codec refuses still shows its id in its first bytes.
  const peekIds = codec.syntax === "msgpack";
  return {
    encode: (message, refs) => codec.encode(message, refs),
    decode(frame, start, end, refs) {
      let doc: unknown;
      try {
        doc = codec.decode(frame, start, end, refs);
      } catch (err) {
        const error = RpcError.from(err);
        if (!peekIds) throw new MessageError(error);
        throw new MessageError(error, peekMsgpackId(frame, start, end, M.CALL), peekMsgpackId(frame, start, end, M.RESULT));
      }
      return validateMessage(doc);
    },
  };
}
