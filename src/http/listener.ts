/**
 * `http://host:port/path` and `https://host:port/path` listeners: a node:http(s) server
 * answering JSON-RPC (and XML-RPC, by Content-Type) at the path and 404 elsewhere.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { ServerTlsOptions } from "../options.js";
import { refuseClient, requestTimeoutOptions } from "./timeouts.js";

/** A parsed http:// or https:// listen URL. */
export interface HttpAddress {
  scheme: "http" | "https";
  host: string;
  port: number;
  /** The endpoint's path, "/" when the URL has none. */
  path: string;
}

/** True for URLs this module listens on. */
export function isHttpUrl(url: string): boolean {
  return /^https?:\/\//i.test(url);
}

/** Parses an http(s) listen or dial URL; throws TypeError naming what is wrong. */
export function parseHttpAddress(url: string): HttpAddress {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new TypeError(`invalid address ${JSON.stringify(url)}: expected http://host:port/path or https://host:port/path`);
  }
  const scheme = u.protocol === "https:" ? "https" : "http";
  const host = u.hostname.startsWith("[") ? u.hostname.slice(1, -1) : u.hostname;
  if (!host) throw new TypeError(`invalid address ${JSON.stringify(url)}: missing host`);
  const port = u.port === "" ? (scheme === "https" ? 443 : 80) : Number(u.port);
  return { scheme, host, port, path: u.pathname || "/" };
}

/** The URL form of an address. */
export function formatHttpAddress(a: HttpAddress): string {
  const host = a.host.includes(":") ? `[${a.host}]` : a.host;
  return `${a.scheme}://${host}:${a.port}${a.path}`;
}

export interface HttpListener {
  /** The bound URL (the real port when 0 was asked for). */
  readonly url: string;
  /** Stops accepting; open connections are the owner's (see drain.ts). */
  close(): Promise<void>;
}

export interface HttpListenHandlers {
  /** A raw connection arrived (before any TLS handshake); return false to drop it. */
  admit(socket: Socket): boolean;
  /** A request for the endpoint's path. */
  onRequest(req: IncomingMessage, res: ServerResponse): void;
  onError(error: Error): void;
  /** An HTTP Upgrade request (WebSocket); without it node:http closes such connections. */
  onUpgrade?(req: IncomingMessage, socket: Duplex, head: Buffer): void;
}

/**
 * Listens on `address`; a client that takes longer than `requestTimeoutMs` to send a request
 * is answered 408 and disconnected.
 */
export async function listenHttp(address: HttpAddress, tls: ServerTlsOptions | undefined, requestTimeoutMs: number, handlers: HttpListenHandlers): Promise<HttpListener> {
  let server: HttpServer;
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    if ((q === -1 ? url : url.slice(0, q)) === address.path) {
      handlers.onRequest(req, res);
      return;
    }
    res.statusCode = 404;
    res.setHeader("content-type", "text/plain");
    res.end(`not found: JSON-RPC and XML-RPC are served at ${address.path}\n`);
  };
  if (address.scheme === "https") {
    if (!tls || (!tls.cert && !tls.pfx)) throw new TypeError(`${formatHttpAddress(address)}: an https:// listener needs tls.cert and tls.key (or tls.pfx)`);
    server = createHttpsServer({ rejectUnauthorized: true, ...tls, ...requestTimeoutOptions(requestTimeoutMs) }, onRequest);
    server.on("tlsClientError", (err: Error) => handlers.onError(new Error(`TLS handshake failed: ${err.message}`)));
  } else {
    server = createHttpServer(requestTimeoutOptions(requestTimeoutMs), onRequest);
  }
  // 'connection' fires for the raw socket first, so refused clients never reach TLS or HTTP.
  server.prependListener("connection", (socket: Socket) => {
    if (!handlers.admit(socket)) socket.destroy();
  });
  if (handlers.onUpgrade) server.on("upgrade", handlers.onUpgrade);
  server.on("clientError", (err: Error, socket: Socket) => {
    const where = `${socket.remoteAddress ?? "client"}:${socket.remotePort ?? ""}`;
    handlers.onError(new Error(`http ${where}: closing: ${refuseClient(err, socket, requestTimeoutMs)}`));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ port: address.port, host: address.host }, () => {
      server.removeListener("error", reject);
      server.on("error", (err) => handlers.onError(err));
      resolve();
    });
  });
  const bound = server.address();
  const actual: HttpAddress = typeof bound === "object" && bound !== null ? { ...address, port: bound.port } : address;
  return {
    url: formatHttpAddress(actual),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
