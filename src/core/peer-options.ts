/**
 * What a {@link Peer} is made with: where its frames go, its limits, and its hooks.
 */
import type { PeerInfo } from "./context.js";
import type { RpcError } from "./errors.js";
import type { Logger } from "./logger.js";
import type { Peer } from "./peer.js";
import type { CallPipeline } from "./pipeline.js";
import type { MessageProtocol } from "./protocol.js";
import type { SplitFrame } from "./split-frame.js";

/** Where a peer's frames go: the transport side of a session. */
export interface FrameSink {
  send(frame: Uint8Array): void;
  /**
   * Sends a frame given in pieces (see {@link SplitFrame}). A sink with this method is handed
   * large byte arrays uncopied; one without it gets only contiguous frames.
   */
  sendSplit?(frame: SplitFrame): void;
  /**
   * Undefined while the transport can take more; otherwise a promise that settles once it has
   * drained (or closed). Stream producers wait on it, so a peer that reads slowly slows them.
   */
  room?(): Promise<void> | undefined;
  /**
   * Why a frame of `bytes` cannot be queued now (a write-buffer limit, and what is held), or
   * undefined when it can. A peer asks before sending an answer or a call, so that one
   * message fails alone; a frame sent past the limit anyway closes the connection.
   */
  overLimit?(bytes: number): string | undefined;
  /**
   * Closes the connection; the transport need not call back into the peer. With `abort`,
   * calls this side sent were just reported failed: what is still on its way to the other
   * side must be discarded, not delivered (a stream socket is reset, not ended).
   */
  close(abort?: boolean): void;
}

/** Limits and liveness settings of a session. Defaults live with the public options. */
export interface PeerLimits {
  /** Calls this side serves at once on the connection; more are answered RESOURCE_EXHAUSTED. */
  maxCallsInFlight: number;
  /** Ping a silent peer after this long (ms); 0 disables keepalive. */
  keepaliveIntervalMs: number;
  /** Close the session when a ping gets no answer within this long (ms). */
  keepaliveTimeoutMs: number;
  /** The option a user sets to change the keepalive, named when it ends a session. @default "keepaliveTimeoutMs" */
  keepaliveOption?: string;
  /** Close a session with no call in flight for this long (ms); 0 never. */
  idleTimeoutMs: number;
  /** References and open streams alive at once in each direction. @default 10000 */
  maxReferences?: number;
  /**
   * Largest frame this side sends. A message over it fails alone (its call, its answer, its
   * stream) with RESOURCE_EXHAUSTED, instead of reaching a peer that would have to drop the
   * connection and every call on it. @default unlimited
   */
  maxFrameBytes?: number;
}

export interface PeerOptions {
  protocol: MessageProtocol;
  /** Runs the calls this side serves (its dispatcher is what this side exposes). */
  pipeline: CallPipeline;
  info: PeerInfo;
  limits: PeerLimits;
  /** Send handler stacks to callers (off by default: stacks leak internals). */
  exposeErrorStacks: boolean;
  logger: Logger;
  /** Called once when the session ends, with the reason given to its pending calls. */
  onClose?: (peer: Peer, reason: RpcError) => void;
  /** Called when the other side announces it is draining. */
  onGoaway?: (peer: Peer, reason: string) => void;
}
