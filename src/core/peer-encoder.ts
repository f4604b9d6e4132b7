/**
 * How a Peer turns messages into frames: with its session's references (given back when a
 * message fails), under its maxFrameBytes, and split around large byte arrays when its sink
 * writes frames in pieces.
 */
import { RpcError } from "./errors.js";
import type * as M from "./messages.js";
import type { FrameSink } from "./peer-options.js";
import type { MessageProtocol } from "./protocol.js";
import type { RefSession } from "./ref-session.js";
import type { Frame } from "./split-frame.js";

export class PeerEncoder {
  private readonly split: boolean;

  constructor(
    private readonly protocol: MessageProtocol,
    private readonly refs: RefSession,
    private readonly maxFrameBytes: number | undefined,
    sink: FrameSink,
  ) {
    this.split = sink.sendSplit !== undefined && protocol.encodeSplit !== undefined;
  }

  /** A frame for the session's own sink: split when it can be. Throws RpcError for a message that cannot be sent. */
  encode(msg: M.Message): Frame {
    return this.encodeWith(msg, this.split);
  }

  /** A contiguous frame, for whoever carries it outside the session's sink. */
  encodeBytes(msg: M.Message): Uint8Array {
    return this.encodeWith(msg, false) as Uint8Array;
  }

  private encodeWith(msg: M.Message, split: boolean): Frame {
    this.refs.beginEncode();
    let sent = false;
    try {
      const frame = split ? this.protocol.encodeSplit!(msg, this.refs) : this.protocol.encode(msg, this.refs);
      const max = this.maxFrameBytes;
      if (max !== undefined && frame.byteLength > max) throw new RpcError("RESOURCE_EXHAUSTED", `a message of ${frame.byteLength} B exceeds maxFrameBytes ${max}`);
      sent = true;
      return frame;
    } finally {
      this.refs.endEncode(sent);
    }
  }
}
