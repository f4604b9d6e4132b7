/**
 * ArrayBuffers marked with transfer() moved across a port beside their frame: the session's
 * codec is wrapped so that encoding collects them (the frame holds their index), the port
 * posts them in the message's transfer list, and decoding finds them again by index. The
 * frame object itself ties the two steps together (a Peer hands the encoded frame to its
 * sink as is), so no state outlives a message.
 */
import type { Codec } from "../core/codec.js";
import { RpcError } from "../core/errors.js";
import type { RefContext } from "../core/ref-wire.js";
import { WireTransfer } from "../codecs/msgpack.js";

/** Most buffers moved with one message; a peer sending more is refused. */
export const MAX_TRANSFERS = 1024;

export class PortTransfers {
  /** Buffers collected for each frame sent, by frame. */
  private readonly outgoing = new WeakMap<Uint8Array, ArrayBuffer[]>();
  /** Buffers that came with each frame received, by frame. */
  private readonly incoming = new WeakMap<Uint8Array, ArrayBuffer[]>();

  /** `inner`, moving marked ArrayBuffers instead of copying them. */
  codec(inner: Codec): Codec {
    return {
      name: inner.name,
      ...(inner.syntax ? { syntax: inner.syntax } : {}),
      encode: (value, refs) => {
        const buffers: ArrayBuffer[] = [];
        const frame = inner.encode(value, refs && withTransfersOut(refs, buffers));
        if (buffers.length > 0) this.outgoing.set(frame, buffers);
        return frame;
      },
      decode: (bytes, start, end, refs) => {
        const buffers = this.incoming.get(bytes);
        return inner.decode(bytes, start, end, refs && buffers ? withTransfersIn(refs, buffers) : refs);
      },
    };
  }

  /** The buffers to move with `frame`, if any. */
  sending(frame: Uint8Array): ArrayBuffer[] | undefined {
    return this.outgoing.get(frame);
  }

  /** Records the buffers that came with `frame`. */
  received(frame: Uint8Array, buffers: ArrayBuffer[]): void {
    this.incoming.set(frame, buffers);
  }
}

function withTransfersOut(refs: RefContext, buffers: ArrayBuffer[]): RefContext {
  return {
    exportValue: (value) => refs.exportValue(value),
    importValue: (kind, id) => refs.importValue(kind, id),
    transferOut(buffer) {
      if (buffers.length >= MAX_TRANSFERS) throw new RpcError("INVALID_PARAMS", `more than ${MAX_TRANSFERS} transferred ArrayBuffers in one message`);
      buffers.push(buffer);
      return new WireTransfer(buffers.length - 1);
    },
  };
}

function withTransfersIn(refs: RefContext, buffers: ArrayBuffer[]): RefContext {
  return {
    exportValue: (value) => refs.exportValue(value),
    importValue: (kind, id) => refs.importValue(kind, id),
    transferIn(index) {
      const buffer = typeof index === "number" ? buffers[index] : undefined;
      if (!buffer) throw new RpcError("PARSE_ERROR", `transferred ArrayBuffer ${String(index)} is not among the ${buffers.length} that came with the message`);
      return buffer;
    },
  };
}
