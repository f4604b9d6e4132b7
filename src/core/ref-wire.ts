/**
 * References as the codec sees them: the kinds of the reference extension, the form a
 * reference takes on its way out, and what a codec asks of the session of the message it
 * encodes or decodes (the peer hands it in with each message: see Codec).
 */

/** Kinds of reference on the wire (the first element of a reference extension). */
export const REF_FUNCTION = 0;
export const REF_OBJECT = 1;
export const REF_STREAM = 2;
/** A reference the receiver itself exported, coming home. */
export const REF_YOURS = 3;

/** A reference on its way out, as the codec writes it. */
export class WireRef {
  constructor(
    readonly kind: number,
    readonly id: number,
    readonly names?: string[],
  ) {}
}

/**
 * The references of one session, as a codec uses them (a RefSession is one). A codec given
 * none refuses functions, ref() objects, streams and reference extensions.
 */
export interface RefContext {
  /** The wire form of a function, a ref()-marked object or an async iterable on its way out. */
  exportValue(value: object): WireRef;
  /** The local value of a reference that arrived; throws RpcError for one it refuses. */
  importValue(kind: unknown, id: unknown): unknown;
  /**
   * Over a MessagePort only: moves a value marked with transfer() (a buffer, a view, a
   * MessagePort) beside the frame and answers its wire form (its index there); absent
   * elsewhere, where buffers are copied.
   */
  transferOut?(value: object): object;
  /** Over a MessagePort only: the value moved beside the frame being decoded, by index. */
  transferIn?(index: unknown): unknown;
}
