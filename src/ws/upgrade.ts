/**
 * WebSocket upgrades for serve(): an HTTP Upgrade request (on a one-port listener's HTTP, an
 * http:// listener, or a ws:// listener) is handed to the `ws` server, and the subprotocol
 * the client asks for picks the family that takes the socket. A request offering none of
 * ours is answered 400 naming the ones there are, before any WebSocket exists.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { requireWs } from "./require-ws.js";
import type { WebSocket, WebSocketServer } from "ws";
import type { Logger } from "../core/logger.js";
import { refusedOrigin, type OriginPolicy } from "./origin.js";
import { CLOSE_GRACE_MS, CLOSE_POLICY_VIOLATION, CLOSE_TOO_BIG } from "./link.js";


/** A family's side of an upgrade: the socket is open and speaks `protocol`. */
export type UpgradeHandler = (socket: WebSocket, req: IncomingMessage, settled: () => void) => void;

export interface WsUpgradeConfig {
  /** Subprotocol name → the family that speaks it (e.g. "farcall.v1"). */
  protocols: ReadonlyMap<string, UpgradeHandler>;
  /** Largest message accepted (ws's maxPayload): the server's maxFrameBytes. */
  maxFrameBytes: number;
  /** Time from the Upgrade request to the end of the family's own handshake. */
  handshakeTimeoutMs: number;
  /** Largest message taken before the family's handshake is done (farcall/1's 4,096 B). */
  maxHandshakeBytes: number;
  logger: Logger;
  /** Which pages may open which subprotocols (see origin.ts). */
  origins: OriginPolicy;
}

/** The `ws` server of one listener; it never listens itself: upgrades are handed to it. */
export class WsUpgrades {
  private wsServer: WebSocketServer | undefined;

  constructor(private readonly cfg: WsUpgradeConfig) {}

  private get server(): WebSocketServer {
    return (this.wsServer ??= new (requireWs().WebSocketServer)({
      noServer: true,
      maxPayload: this.cfg.maxFrameBytes,
      // Compression costs a zlib context per socket and lets a small message inflate past
      // what its frame header said; farcall's frames are already compact.
      perMessageDeflate: false,
      clientTracking: false,
      handleProtocols: (offered) => pickProtocol(offered, this.cfg.protocols),
    }));
  }

  /** node:http's 'upgrade' event; a bound method, so it can be passed as the listener. */
  readonly handle = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const offered = parseProtocols(req.headers["sec-websocket-protocol"]);
    const protocol = pickProtocol(offered, this.cfg.protocols);
    if (protocol === false) {
      const names = [...this.cfg.protocols.keys()].join(", ");
      const why = `no supported WebSocket subprotocol: offered ${offered.size > 0 ? [...offered].join(", ") : "none"}; this server speaks ${names}`;
      this.cfg.logger.warn(`${req.socket.remoteAddress ?? "client"}: refused upgrade: ${why}`);
      refuseUpgrade(socket, why);
      return;
    }
    const foreign = refusedOrigin(req, protocol, this.cfg.origins);
    if (foreign !== undefined) {
      this.cfg.logger.warn(`${req.socket.remoteAddress ?? "client"}: refused upgrade: ${foreign}`);
      refuseUpgrade(socket, foreign, "403 Forbidden");
      return;
    }
    let upgraded: WebSocket | undefined;
    const timer = setTimeout(() => {
      const why = `no ${protocol} handshake within ${this.cfg.handshakeTimeoutMs} ms (handshakeTimeoutMs)`;
      this.cfg.logger.warn(`${req.socket.remoteAddress ?? "client"}: closing: ${why}`);
      if (!upgraded) return void socket.destroy();
      // A close frame tells the client why; a client that does not answer it is cut off.
      upgraded.close(CLOSE_POLICY_VIOLATION, why);
      setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
    }, this.cfg.handshakeTimeoutMs);
    socket.once("close", () => clearTimeout(timer));
    this.server.handleUpgrade(req, socket, head, (ws) => {
      upgraded = ws;
      // No byte has been parsed yet: ws reads the socket from its next 'data' event.
      const lift = limitUntilHandshake(ws, this.cfg.maxHandshakeBytes, this.cfg.maxFrameBytes);
      this.cfg.protocols.get(protocol)!(ws, req, () => {
        clearTimeout(timer);
        lift();
      });
    });
  };

  /** True when `req` offers a subprotocol one of our families speaks. */
  speaksAny(req: IncomingMessage): boolean {
    return pickProtocol(parseProtocols(req.headers["sec-websocket-protocol"]), this.cfg.protocols) !== false;
  }

  close(): Promise<void> {
    // Its sockets belong to the sessions, which the server drains and closes.
    const server = this.wsServer;
    return server ? new Promise((resolve) => server.close(() => resolve())) : Promise.resolve();
  }
}

/** ws's receiver, whose maxPayload is read as each frame's length is known (not public API). */
interface Receiver {
  _maxPayload: number;
  prependListener(event: "error", listener: (err: Error & { code?: string }) => void): void;
}

/**
 * Takes messages of at most `small` bytes on `ws` until the returned function is called,
 * then of `large`. ws has one maxPayload per server, so a client could otherwise make us
 * buffer a whole maxFrameBytes message before a handshake that takes 100 bytes; the receiver
 * checks its limit against the length in the frame header, before the body is buffered. A
 * message over it closes the socket with 1009 and a reason naming the handshake limit. The
 * receiver's field is private to ws (stable since ws 2); without it the family's own check
 * after the message arrives is the only bound, so this degrades, never breaks.
 */
function limitUntilHandshake(ws: WebSocket, small: number, large: number): () => void {
  const receiver = (ws as unknown as { _receiver?: Receiver })._receiver;
  if (!receiver || typeof receiver._maxPayload !== "number") return noop;
  let open = false;
  receiver._maxPayload = small;
  receiver.prependListener("error", (err) => {
    // ws's own listener closes with 1009 and no reason right after this one.
    if (!open && err.code === "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH") ws.close(CLOSE_TOO_BIG, `handshake message exceeds the handshake limit ${small} B`);
  });
  return () => {
    open = true;
    receiver._maxPayload = large;
  };
}

function noop(): void {}

/** The Sec-WebSocket-Protocol header's names. */
function parseProtocols(header: string | undefined): Set<string> {
  const names = new Set<string>();
  for (const part of (header ?? "").split(",")) {
    const name = part.trim();
    if (name) names.add(name);
  }
  return names;
}

/** The first offered name we speak, in the client's order of preference, or false. */
function pickProtocol(offered: Set<string>, protocols: ReadonlyMap<string, UpgradeHandler>): string | false {
  for (const name of offered) if (protocols.has(name)) return name;
  return false;
}

function refuseUpgrade(socket: Duplex, why: string, status = "400 Bad Request"): void {
  const body = `${why}\n`;
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}
