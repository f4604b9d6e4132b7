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
 * The type and id of a MessagePack farcall/1 frame in bytes `start` to `end`, read from its
 * first bytes (an array whose first two elements are small unsigned integers) without
 * decoding the rest: a frame whose body breaks a limit still shows which call it was, and a
 * transport can route a frame (NATS) without decoding it.
 */
export function frameHead(frame: Uint8Array, start = 0, end = frame.length): [type: number, id: number] | undefined {
  if (end - start < 3) return undefined;
  const b = frame[start];
  let at: number;
  if (b >= 0x92 && b <= 0x9f) at = start + 1;
  else if (b === 0xdc) at = start + 3;
  else if (b === 0xdd) at = start + 5;
  else return undefined;
  if (at + 1 >= end) return undefined;
  const type = frame[at];
  const v = frame[at + 1];
  if (type > 0x7f) return undefined;
  if (v <= 0x7f) return [type, v];
  if (v === 0xcc && end > at + 2) return [type, frame[at + 2]];
  if (v === 0xcd && end > at + 3) return [type, (frame[at + 2] << 8) | frame[at + 3]];
  if (v === 0xce && end > at + 5) return [type, frame[at + 2] * 0x1000000 + ((frame[at + 3] << 16) | (frame[at + 4] << 8) | frame[at + 5])];
  return undefined;
}

/** farcall/1 over `codec`. */
export function createFarcallProtocol(codec: Codec): MessageProtocol {
  // Over MessagePack, a message the codec refuses still shows its id in its first bytes.
  const peekIds = codec.syntax === "msgpack";
  return {
    encode: (message, refs) => codec.encode(message, refs),
    encodeSplit: codec.encodeSplit && ((message, refs) => codec.encodeSplit!(message, refs)),
    decode(frame, start, end, refs) {
      let doc: unknown;
      try {
        doc = codec.decode(frame, start, end, refs);
      } catch (err) {
        const error = RpcError.from(err);
        const head = peekIds ? frameHead(frame, start, end) : undefined;
        if (head === undefined) throw new MessageError(error);
        // A call we cannot read is answered for its id; an answer we cannot read fails its call.
        const [type, id] = head;
        throw new MessageError(error, type === M.CALL ? id : undefined, type === M.RESULT || type === M.ERROR ? id : undefined);
      }
      return validateMessage(doc);
    },
  };
}
