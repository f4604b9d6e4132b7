/**
 * A farcall/1 session over a port (port-link.ts): what `connect(worker)` makes on one side
 * and `servePort(api, port)` on the other. Both sides can expose and call.
 */
import { createMsgpackCodec } from "../codecs/msgpack.js";
import type { PeerInfo } from "../core/context.js";
import { createFarcallProtocol } from "../core/farcall-protocol.js";
import type { Logger } from "../core/logger.js";
import { Peer } from "../core/peer.js";
import { exposedPipeline } from "../core/pipeline.js";
import { PortLink, type PortEndpoint } from "./port-link.js";

export interface PortSessionOptions {
  /** What this side serves. */
  expose: object | undefined;
  logger: Logger;
  maxDepth: number;
  maxFrameBytes: number;
  maxCallsInFlight: number;
  maxReferences: number;
}

/** A Peer over `endpoint`, started at once (both ends are the program's own: no handshake). */
export function portPeer(endpoint: PortEndpoint, what: string, options: PortSessionOptions): Peer {
  const link = new PortLink(endpoint, what);
  const info: PeerInfo = { transport: "port", address: what, authenticated: false };
  const peer = new Peer(link, {
    protocol: createFarcallProtocol(link.transfers.codec(createMsgpackCodec({ maxDepth: options.maxDepth }))),
    pipeline: exposedPipeline(options.expose, options.logger),
    info,
    limits: {
      maxCallsInFlight: options.maxCallsInFlight,
      // A port does not drop silently: a worker's exit or a port's close is reported.
      keepaliveIntervalMs: 0,
      keepaliveTimeoutMs: 0,
      idleTimeoutMs: 0,
      maxReferences: options.maxReferences,
      maxFrameBytes: options.maxFrameBytes,
    },
    exposeErrorStacks: false,
    logger: options.logger,
  });
  link.onMessage = (data) => peer.receive(data);
  link.onClose = (error) => peer.close(error);
  return peer;
}
