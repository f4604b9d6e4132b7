import type { RefContext } from "./ref-wire.js";
import type { Frame } from "./split-frame.js";

/**
 * The codec seam: a value to bytes and back. Implementations live in src/codecs; the peer
 * only ever sees this interface.
 *
 * A codec that carries references (functions, ref() objects, streams) gets the session they
 * belong to as `refs` with each document; without it, it refuses them.
 */
export interface Codec {
  /** The name both ends agree on during the handshake. */
  readonly name: string;
  /**
   * The byte syntax of its documents, for a protocol that reads a few bytes itself (the id of
   * a message the codec refused): "msgpack" promises standard MessagePack, "json" UTF-8 JSON.
   * Undefined promises nothing.
   */
  readonly syntax?: "msgpack" | "json";
  /** Encodes a value; throws RpcError("INVALID_PARAMS") for a value the codec cannot carry. */
  encode(value: unknown, refs?: RefContext): Uint8Array;
  /**
   * Like encode, but may leave large byte arrays out of the encoded bytes and return a
   * {@link SplitFrame} that writes them from their own memory. Optional: a codec without it
   * is always copied into contiguous frames.
   */
  encodeSplit?(value: unknown, refs?: RefContext): Frame;
  /**
   * Decodes one document, the whole of `bytes` or bytes `start` to `end` of it (a range
   * saves making a view object per message); throws RpcError("PARSE_ERROR") for malformed bytes and
   * RpcError("RESOURCE_EXHAUSTED") for a document over a limit, before building it.
   */
  decode(bytes: Uint8Array, start?: number, end?: number, refs?: RefContext): unknown;
}

/** Limits a decoder checks before it allocates. */
export interface DecodeLimits {
  /**
   * Deepest nesting of arrays, maps and tagged values accepted.
   * @default 64
   */
  maxDepth: number;
}
