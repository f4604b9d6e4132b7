/**
 * The one-port listener (tcp://, tls://, unix://): the dialer speaks first, so a
 * connection's first bytes say which protocol it speaks (DESIGN.md, "One port, every
 * protocol"), and the sniff entry that recognises them takes it over. The entries come from
 * the protocol families (farcall/1, HTTP, raw JSON-RPC) and this module knows none of them:
 * it admits connections (closing, maxConnections, the allow list), bounds the time to a
 * handshake, and closes what matches nothing.
 */
import type { Socket } from "node:net";
import { describe } from "../core/describe.js";
import type { Logger } from "../core/logger.js";
import type { ServerTlsOptions } from "../options.js";
import type { StreamAddress } from "./address.js";
import type { AllowList } from "./allow-list.js";
import type { ServerConnections } from "./connections.js";
import { sniff, type SniffedConnection, type SniffEntry } from "./sniff.js";
import { listenStream, type StreamListener } from "./tcp.js";

export interface OnePortConfig {
  tls: ServerTlsOptions | undefined;
  /** Time from a connection's arrival to the end of its protocol's handshake (TLS included). */
  handshakeTimeoutMs: number;
  /** Addresses allowed to connect; unix sockets are not subject to it. */
  allow: AllowList | undefined;
  connections: ServerConnections;
  logger: Logger;
  /**
   * Holds a few sockets past maxConnections to tell their HTTP and WebSocket clients to come
   * back later (ws/busy.ts), instead of dropping them unanswered.
   */
  busy?: { hold(socket: Socket): boolean; holds(socket: Socket): boolean; refuse(socket: Socket): void };
}

/** Listens on `address`, handing each connection to the entry its first bytes match. */
export function listenOnePort(address: StreamAddress, cfg: OnePortConfig, entries: readonly SniffEntry[]): Promise<StreamListener> {
  return listenStream(address, cfg.tls, cfg.handshakeTimeoutMs, {
    admit(socket) {
      if (!cfg.connections.admits(socket)) return cfg.busy?.hold(socket) ?? false;
      if (cfg.allow && address.scheme !== "unix" && !cfg.allow.allows(socket.remoteAddress)) {
        cfg.logger.warn(`refused ${socket.remoteAddress}: not in the allow list`);
        return false;
      }
      return true;
    },
    onSocket(socket) {
      if (cfg.busy?.holds(socket)) return cfg.busy.refuse(socket);
      cfg.connections.track(socket);
      const connection = new OnePortConnection(socket, address, cfg);
      sniff(socket, entries, connection, (head) => {
        cfg.logger.warn(`${connection.where}: closing: unrecognised protocol (first bytes ${head.subarray(0, 16).toString("hex")})`);
        socket.destroy();
      });
    },
    onError: (err) => cfg.logger.warn(err.message),
  });
}

/** One connection of a one-port listener, from arrival until a protocol has finished its handshake. */
class OnePortConnection implements SniffedConnection {
  readonly transport: string;
  readonly unixPath: string | undefined;
  readonly where: string;
  private readonly timer: ReturnType<typeof setTimeout>;
  private taken = false;

  constructor(readonly socket: Socket, address: StreamAddress, readonly cfg: OnePortConfig) {
    this.transport = address.scheme;
    this.unixPath = address.path;
    this.where = describe({ transport: this.transport, address: socket.remoteAddress ?? this.unixPath ?? "unknown", port: socket.remotePort, authenticated: false });
    this.timer = setTimeout(onHandshakeTimeout, cfg.handshakeTimeoutMs, this);
    socket.on("close", () => clearTimeout(this.timer));
    socket.on("error", (err) => {
      if (!this.taken) cfg.logger.info(`${this.where}: ${err.message}`);
    });
  }

  established(): void {
    this.taken = true;
  }

  handshakeDone(): void {
    clearTimeout(this.timer);
  }
}

function onHandshakeTimeout(connection: OnePortConnection): void {
  connection.cfg.logger.warn(`${connection.where}: closing: no handshake within ${connection.cfg.handshakeTimeoutMs} ms (handshakeTimeoutMs)`);
  connection.socket.destroy();
}
