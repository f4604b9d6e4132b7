/**
 * Values marked with transfer() (moved, views, MessagePorts) moved across a port beside
 * their frame: the session's codec is wrapped so that encoding collects them (the frame holds
 * their index), the port posts them with what they own in the message's transfer list, and
 * decoding finds them again by index. The frame object itself ties the two steps together (a
 * Peer hands the encoded frame to its sink as is), so no state outlives a message.
 */
import type { Codec } from "../core/codec.js";
import { RpcError } from "../core/errors.js";
import type { RefContext } from "../core/ref-wire.js";
import { WireTransfer } from "../codecs/msgpack.js";
import { isMessagePort, transferListEntry } from "../core/transfer.js";

/** Most values moved with one message; a peer sending more is refused. */
export const MAX_TRANSFERS = 1024;

export class PortTransfers {
  /** Values collected for each frame sent, by frame. */
  private readonly outgoing = new WeakMap<Uint8Array, object[]>();
  /** Values that came with each frame received, by frame. */
  private readonly incoming = new WeakMap<Uint8Array, object[]>();

  /** `inner`, moving values marked with transfer() instead of copying them. */
  codec(inner: Codec): Codec {
    return {
      name: inner.name,
      ...(inner.syntax ? { syntax: inner.syntax } : {}),
      encode: (value, refs) => {
        const moved: object[] = [];
        const frame = inner.encode(value, refs && withTransfersOut(refs, moved));
        if (moved.length > 0) this.outgoing.set(frame, moved);
        return frame;
      },
      decode: (bytes, start, end, refs) => {
        const moved = this.incoming.get(bytes);
        return inner.decode(bytes, start, end, refs && moved ? withTransfersIn(refs, moved) : refs);
      },
    };
  }

  /** The values to move with `frame`, if any. */
  sending(frame: Uint8Array): object[] | undefined {
    return this.outgoing.get(frame);
  }

  /** Records the values that came with `frame`. */
  received(frame: Uint8Array, moved: object[]): void {
    this.incoming.set(frame, moved);
  }
}

/**
 * The message's transfer list for `moved`: each buffer once, however many views share it
 * (postMessage refuses a duplicate).
 */
export function transferList(moved: object[]): object[] {
  const list: object[] = [];
  for (const value of moved) {
    const entry = transferListEntry(value);
    if (!list.includes(entry)) list.push(entry);
  }
  return list;
}

/** True for what a peer may send beside a frame: moved, views and ports, no more than MAX_TRANSFERS. */
export function isMovedList(moved: unknown): moved is object[] {
  return Array.isArray(moved) && moved.length <= MAX_TRANSFERS && moved.every((v) => v instanceof ArrayBuffer || ArrayBuffer.isView(v) || (typeof v === "object" && v !== null && isMessagePort(v)));
}

function withTransfersOut(refs: RefContext, moved: object[]): RefContext {
  return {
    exportValue: (value) => refs.exportValue(value),
    importValue: (kind, id) => refs.importValue(kind, id),
    transferOut(value) {
      if (moved.length >= MAX_TRANSFERS) throw new RpcError("INVALID_PARAMS", `more than ${MAX_TRANSFERS} transferred values in one message`);
      moved.push(value);
      return new WireTransfer(moved.length - 1);
    },
  };
}

function withTransfersIn(refs: RefContext, moved: object[]): RefContext {
  return {
    exportValue: (value) => refs.exportValue(value),
    importValue: (kind, id) => refs.importValue(kind, id),
    transferIn(index) {
      const buffer = typeof index === "number" ? moved[index] : undefined;
      if (!buffer) throw new RpcError("PARSE_ERROR", `transferred value ${String(index)} is not among the ${moved.length} that came with the message`);
      return buffer;
    },
  };
}
