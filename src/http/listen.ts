/**
 * HTTP for serve(): `http://` and `https://` listeners, and the sniff entry that gives HTTP
 * found on a one-port listener to node's HTTP parser. Both answer through an HttpRpcCore
 * (the protocols it carries are the caller's choice) and count their requests in the
 * server's HttpDrain, so close() lets them finish.
 */
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { RpcError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import type { AllowList } from "../net/allow-list.js";
import type { ServerConnections, Stoppable } from "../net/connections.js";
import type { SniffedConnection, SniffEntry } from "../net/sniff.js";
import type { ServerTlsOptions } from "../options.js";
import type { HttpDrain } from "./drain.js";
import { listenHttp, type HttpAddress, type HttpListener } from "./listener.js";
import { nodeHandler, writeAnswer } from "./node.js";
import type { HttpRpcCore } from "./rpc-core.js";
import { matchHttpRequestLine } from "./sniff.js";
import { refuseClient, requestTimeoutOptions, startRequestTimeouts } from "./timeouts.js";

/** What one listener's HTTP needs. */
export interface HttpServeConfig {
  /** Answers every request of this listener (its key, its auth, its pipeline). */
  core: HttpRpcCore<IncomingMessage>;
  /** The server's, shared by every listener. */
  drain: HttpDrain;
  requestTimeoutMs: number;
  logger: Logger;
  /** HTTP Upgrade requests (WebSocket); without it such connections are closed. */
  upgrade?: ((req: IncomingMessage, socket: Duplex, head: Buffer) => void) | undefined;
}

/**
 * The entry for HTTP on a one-port listener, and what stops its parser. The parser is a
 * node:http server that never listens: the entry feeds it sockets. Once a request line is
 * recognised the connection is HTTP's, and HTTP's own deadline (requestTimeoutMs, answered
 * 408) replaces the handshake deadline, as on an http:// listener: a slow client learns why
 * it was cut off instead of seeing a bare close.
 */
export function httpEntry(cfg: HttpServeConfig): { entry: SniffEntry; parser: Stoppable } {
  const connections = new WeakMap<Socket, SniffedConnection>();
  const onRequest = cfg.drain.wrap(nodeHandler(cfg.core));
  const server = createHttpServer(requestTimeoutOptions(cfg.requestTimeoutMs), (req, res) => {
    connections.get(req.socket)?.handshakeDone();
    onRequest(req, res);
  });
  // It never listens, so node's request-timeout checker must be started by hand.
  startRequestTimeouts(server);
  const upgrade = cfg.upgrade;
  if (upgrade) {
    server.on("upgrade", (req: IncomingMessage, socket: Socket, head: Buffer) => {
      // The upgrade handler bounds the WebSocket's own handshake from here on.
      connections.get(socket)?.handshakeDone();
      cfg.drain.release(socket);
      upgrade(req, socket, head);
    });
  }
  server.on("clientError", (err: Error, socket: Socket) => {
    connections.get(socket)?.handshakeDone();
    cfg.logger.info(`http ${socket.remoteAddress ?? "client"}:${socket.remotePort ?? ""}: closing: ${refuseClient(err, socket, cfg.requestTimeoutMs)}`);
  });
  return {
    entry: {
      name: "http",
      match: matchHttpRequestLine,
      accept(socket, head, connection) {
        connection.established();
        connection.handshakeDone();
        connections.set(socket, connection);
        cfg.drain.track(socket);
        socket.unshift(head);
        server.emit("connection", socket);
      },
    },
    parser: {
      close() {
        // Stops its request-timeout checker; it never listened, so the error it reports is expected.
        server.close(() => {});
        return Promise.resolve();
      },
    },
  };
}

/** What an http:// or https:// listener needs beyond its HTTP. */
export interface HttpListenConfig extends HttpServeConfig {
  tls: ServerTlsOptions | undefined;
  allow: AllowList | undefined;
  connections: ServerConnections;
  /** Tells clients past maxConnections to come back later (503, or 1013 to a WebSocket) instead of dropping them unanswered. */
  busy?: BusyRefusal;
}

/** What ws/busy.ts's BusyRefusals offers an HTTP listener (http/ imports no ws/ code). */
interface BusyRefusal {
  /** At accept, past the limit: true when the socket is held for a refusal, false to drop it. */
  hold(socket: Socket): boolean;
  holds(socket: Duplex): boolean;
  answer503(req: IncomingMessage, res: ServerResponse): void;
  close1013(req: IncomingMessage, socket: Duplex, head: Buffer): void;
}

/** Listens on an http:// or https:// address, answering at its path. */
export function listenHttpUrl(address: HttpAddress, cfg: HttpListenConfig): Promise<HttpListener> {
  const onRequest = cfg.drain.wrap(nodeHandler(cfg.core));
  return listenHttp(address, cfg.tls, cfg.requestTimeoutMs, {
    admit(socket) {
      if (!cfg.connections.admits(socket)) return cfg.busy?.hold(socket) ?? false;
      cfg.connections.track(socket);
      cfg.drain.track(socket);
      return true;
    },
    onRequest(req, res) {
      if (cfg.busy?.holds(req.socket)) return cfg.busy.answer503(req, res);
      // Refused per request, not per connection, so the caller learns why (403).
      if (cfg.allow && !cfg.allow.allows(req.socket.remoteAddress)) {
        cfg.logger.warn(`refused ${req.socket.remoteAddress}: not in the allow list`);
        writeAnswer(res, cfg.core.refusal(403, new RpcError("PERMISSION_DENIED", "this address is not in the allow list")));
        return;
      }
      onRequest(req, res);
    },
    onError: (err) => cfg.logger.warn(err.message),
    ...(cfg.upgrade ? { onUpgrade: allowedUpgrade(cfg, cfg.upgrade) } : {}),
  });
}

/** `upgrade` behind the listener's allow list, refusing with 403 as requests are. */
function allowedUpgrade(cfg: HttpListenConfig, upgrade: NonNullable<HttpServeConfig["upgrade"]>): NonNullable<HttpServeConfig["upgrade"]> {
  return (req, socket, head) => {
    if (cfg.busy?.holds(socket)) return cfg.busy.close1013(req, socket, head);
    if (cfg.allow && !cfg.allow.allows(req.socket.remoteAddress)) {
      cfg.logger.warn(`refused ${req.socket.remoteAddress}: not in the allow list`);
      socket.end("HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    cfg.drain.release(req.socket);
    upgrade(req, socket, head);
  };
}
