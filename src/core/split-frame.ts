/**
 * A frame kept in pieces so that large byte arrays are written from their own memory instead
 * of being copied into the encoder's buffer: the encoded document with the payloads left
 * out, and each payload between the pieces it belongs between. Only a transport that can
 * write several buffers as one frame (a stream socket's writev) asks for them; every other
 * transport gets contiguous frames.
 *
 * Lifetime: the payloads are the caller's own byte arrays, read when the frame reaches the
 * socket, not when it is encoded; they must not change until then.
 */
export class SplitFrame {
  constructor(
    /** Encoded bytes and payloads in wire order; joined, they are the frame. */
    readonly parts: readonly Uint8Array[],
    /** The frame's whole size, payloads included: what limits are charged. */
    readonly byteLength: number,
  ) {}

  /** The frame as one contiguous byte array (a copy). */
  join(): Uint8Array {
    const out = new Uint8Array(this.byteLength);
    let pos = 0;
    for (const part of this.parts) {
      out.set(part, pos);
      pos += part.byteLength;
    }
    return out;
  }
}

/** A frame as a transport may be handed it: contiguous, or split around large payloads. */
export type Frame = Uint8Array | SplitFrame;

/** Hands `frame` to `sink`; a SplitFrame only ever comes from a sink that has sendSplit. */
export function sendFrame(sink: { send(frame: Uint8Array): void; sendSplit?(frame: SplitFrame): void }, frame: Frame): void {
  if (frame instanceof SplitFrame) sink.sendSplit!(frame);
  else sink.send(frame);
}
