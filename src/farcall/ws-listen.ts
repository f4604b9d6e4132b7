/**
 * farcall/1 over WebSocket on the listener's side: the handler for the "farcall.v1"
 * subprotocol, which runs the message session's handshake and adds the session to the
 * server's farcall/1 sessions (so close() drains it like a TCP one).
 */
import type { IncomingMessage } from "node:http";
import type { WebSocket } from "ws";
import { describe } from "../core/describe.js";
import type { Peer } from "../core/peer.js";
import type { UpgradeHandler } from "../ws/upgrade.js";
import { WsLink } from "../ws/link.js";
import type { FarcallSessions } from "./listen.js";
import { acceptMessageSession } from "./message-accept.js";
import type { StreamSessionConfig } from "./stream-session.js";

/** The subprotocol name of farcall/1 over WebSocket: binary messages, one frame each. */
export const FARCALL_WS_PROTOCOL = "farcall.v1";

/** The upgrade handler of farcall/1, with `cfg`'s key and pipeline. */
export function farcallWsHandler(cfg: StreamSessionConfig, sessions: FarcallSessions, transport: "ws" | "wss"): UpgradeHandler {
  const hooks = { onClose: (peer: Peer) => sessions.delete(peer) };
  return (socket: WebSocket, req: IncomingMessage, settled: () => void) => {
    const info = { transport, address: req.socket.remoteAddress ?? "unknown", ...(req.socket.remotePort !== undefined ? { port: req.socket.remotePort } : {}) };
    const link = new WsLink(socket, describe({ ...info, authenticated: false }));
    link.maxBufferedBytes = cfg.maxWriteBufferBytes;
    if (cfg.writeBudget) link.chargeTo(cfg.writeBudget);
    acceptMessageSession(link, cfg, info, hooks).then(
      (peer) => {
        settled();
        sessions.add(peer);
      },
      (error: Error) => {
        settled();
        cfg.logger.warn(`${link.where}: refused: ${error.message}`);
      },
    );
  };
}
