/**
 * The ws:// and wss:// listener: an HTTP server that takes WebSocket upgrades only (at any
 * path); a plain request at its path is answered 426 Upgrade Required.
 */
import type { Socket } from "node:net";
import { formatHttpAddress, listenHttp, parseHttpAddress, type HttpAddress, type HttpListener } from "../http/listener.js";
import type { Logger } from "../core/logger.js";
import type { AllowList } from "../net/allow-list.js";
import type { ServerConnections } from "../net/connections.js";
import type { ServerTlsOptions } from "../options.js";
import type { WsUpgrades } from "./upgrade.js";
import type { BusyRefusals } from "./busy.js";

export interface WsListenConfig {
  tls: ServerTlsOptions | undefined;
  allow: AllowList | undefined;
  connections: ServerConnections;
  requestTimeoutMs: number;
  logger: Logger;
  /** Who tells clients past maxConnections to come back later. */
  busy: BusyRefusals;
}

/**
 * True for ws:// and wss:// URLs. Here, not beside the dialer: serve() asks it of every URL,
 * and the dialer's module loads the `ws` package (about 0.6 MB of heap) with it.
 */
export function isWsUrl(url: string): boolean {
  return /^wss?:\/\//i.test(url);
}

/** A ws:// or wss:// listen URL as the HTTP address it binds (https for wss). */
export function parseWsListenAddress(url: string): HttpAddress {
  if (!/^wss?:\/\//i.test(url)) throw new TypeError(`invalid address ${JSON.stringify(url)}: expected ws://host:port or wss://host:port`);
  return parseHttpAddress(url.replace(/^ws/i, "http"));
}

/** Listens on `address`, handing upgrades to `upgrades`. */
export async function listenWs(address: HttpAddress, upgrades: WsUpgrades, cfg: WsListenConfig): Promise<HttpListener> {
  const listener = await listenHttp(address, cfg.tls, cfg.requestTimeoutMs, {
    admit(socket: Socket) {
      if (!cfg.connections.admits(socket)) return cfg.busy.hold(socket);
      if (cfg.allow && !cfg.allow.allows(socket.remoteAddress)) {
        cfg.logger.warn(`refused ${socket.remoteAddress}: not in the allow list`);
        return false;
      }
      cfg.connections.track(socket);
      return true;
    },
    onRequest(req, res) {
      if (cfg.busy.holds(req.socket)) return cfg.busy.answer503(req, res);
      res.statusCode = 426;
      res.setHeader("upgrade", "websocket");
      res.setHeader("content-type", "text/plain");
      res.end("this is a WebSocket endpoint (subprotocol farcall.v1)\n");
    },
    onError: (err) => cfg.logger.warn(err.message),
    onUpgrade(req, socket, head) {
      if (cfg.busy.holds(socket)) cfg.busy.close1013(req, socket, head);
      else upgrades.handle(req, socket, head);
    },
  });
  const url = formatHttpAddress({ ...address, port: Number(new URL(listener.url).port) }).replace(/^http/, "ws");
  return { url, close: () => listener.close() };
}
