/**
 * What a client past maxConnections is told. Dropping its socket at accept tells a browser
 * nothing (its WebSocket closes with 1006, as for a dead network). A few such sockets at a
 * time are instead read as HTTP: a WebSocket upgrade is completed and closed at once with
 * 1013 "try again later" and a reason naming the limit, any other request gets 503 with
 * Retry-After. The cost stays bounded: at most MAX_HELD sockets at once, each for at most
 * HELD_MS (one that has said nothing after FIRST_BYTES_MS goes at once), and no message is
 * ever read from an upgraded one. Past MAX_HELD, sockets are dropped at accept as before.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { WebSocketServer } from "ws";
import { requireWs } from "./require-ws.js";
import { clip } from "./link.js";

/** Over-limit sockets held for a refusal at once, server-wide. */
const MAX_HELD = 16;
/** Longest an over-limit socket is held, TLS and HTTP request included. */
const HELD_MS = 2000;
/** A held socket that has sent nothing by then is dropped (a client of a protocol where the server speaks first waits silently). */
const FIRST_BYTES_MS = 50;
/** Retry-After (s) and the close reason's hint. */
const RETRY_AFTER_S = 1;
/** RFC 6455 7.4.1: the server is overloaded, the client should try again later. */
export const CLOSE_TRY_AGAIN_LATER = 1013;

export class BusyRefusals {
  private readonly held = new WeakSet<Socket>();
  private count = 0;
  private readonly http: Server;
  private wssMade: WebSocketServer | undefined;
  /** Made with the first refusal, so that `ws` loads only where an upgrade is refused. */
  private readonly makeWss: () => WebSocketServer;

  /** `why()`: the reason, naming the limit, given to the client refused now. */
  constructor(private readonly why: () => string) {
    this.makeWss = () => new (requireWs().WebSocketServer)({
      noServer: true,
      perMessageDeflate: false,
      clientTracking: false,
      maxPayload: 125,
      // The client's own subprotocol is echoed: a browser fails an upgrade answered without
      // one it asked for (1006 again), and nothing is ever spoken over this socket.
      handleProtocols: (offered) => offered.values().next().value ?? false,
    });
    this.http = createServer({ maxHeaderSize: 8192 });
    this.http.on("request", (req: IncomingMessage, res: ServerResponse) => this.answer503(req, res));
    this.http.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => this.close1013(req, socket, head));
    this.http.on("clientError", (_err: Error, socket: Duplex) => socket.destroy());
  }

  /**
   * Called at accept for a socket past maxConnections: true when it is held for a refusal
   * (then given to {@link refuse} once ready for bytes), false when it must be dropped.
   */
  hold(socket: Socket): boolean {
    if (this.count >= MAX_HELD) return false;
    this.count++;
    this.held.add(socket);
    const drop = setTimeout(() => socket.destroy(), HELD_MS);
    const silent = setTimeout(() => {
      if (socket.bytesRead === 0) socket.destroy();
    }, FIRST_BYTES_MS);
    socket.once("close", () => {
      this.count--;
      clearTimeout(drop);
      clearTimeout(silent);
    });
    return true;
  }

  /** Whether `socket` (or the raw socket under a TLS one) is held for a refusal. */
  holds(socket: Duplex): boolean {
    return this.held.has(socket as Socket) || this.held.has((socket as { _parent?: Socket })._parent as Socket);
  }

  /** Reads a held socket, ready for bytes (after TLS), as HTTP and refuses what it asks. */
  refuse(socket: Duplex): void {
    this.http.emit("connection", socket);
  }

  /** For a listener whose own HTTP server already parsed the request: refuses the upgrade. */
  close1013(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const why = this.why();
    if (req.headers.upgrade?.toLowerCase() !== "websocket") return void socket.destroy();
    (this.wssMade ??= this.makeWss()).handleUpgrade(req, socket, head, (ws) => {
      ws.on("error", noop);
      ws.close(CLOSE_TRY_AGAIN_LATER, clip(`${why}; try again later`));
    });
  }

  /** For a listener whose own HTTP server already parsed the request: 503 with Retry-After. */
  answer503(_req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(503, { "content-type": "text/plain", "retry-after": String(RETRY_AFTER_S), connection: "close" });
    res.end(`${this.why()}; try again later\n`);
  }
}

function noop(): void {}
