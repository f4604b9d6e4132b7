/**
 * Bytes held for frames still arriving, across every connection of a server, against one
 * cap (maxServerReadBufferBytes): the read side's twin of framing.ts's WriteBudget. Only a
 * frame large enough to get a buffer of its own is charged, when that buffer is taken, and
 * credited once, when the frame is handed on or its connection goes; small frames never
 * touch it, so the per-read cost of ordinary calls is nil.
 */
import { RpcError } from "../core/errors.js";

export class ReadBudget {
  used = 0;
  constructor(
    readonly max: number,
    /** The option that sets `max`, named in refusals. */
    readonly option = "maxServerReadBufferBytes",
  ) {}

  /** The refusal of a buffer of `bytes` for a frame of `frameBytes`, or undefined when it fits. */
  refusal(bytes: number, frameBytes: number): RpcError | undefined {
    if (this.used + bytes <= this.max) return undefined;
    return new RpcError(
      "RESOURCE_EXHAUSTED",
      `frame of ${frameBytes} B needs ${bytes} B more: ${this.used} B already held for partial frames of all peers + ${bytes} B exceed ${this.option} ${this.max}`,
    );
  }
}
