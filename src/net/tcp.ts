/**
 * Stream sockets for tcp://, tls:// and unix:// addresses: listening and dialing. Every
 * socket gets TCP_NODELAY: farcall coalesces its own writes, so Nagle only adds latency.
 */
import { connect as netConnect, createServer as createNetServer, type Server as NetServer, type Socket } from "node:net";
import { connect as tlsConnect, createServer as createTlsServer } from "node:tls";
import { lstat, unlink } from "node:fs/promises";
import { RpcError } from "../core/errors.js";
import type { ClientTlsOptions, ServerTlsOptions } from "../options.js";
import { formatAddress, type StreamAddress } from "./address.js";
import type { SocketInput } from "./socket-input.js";

/**
 * Connections the kernel may hold before we accept them. Node's default (511) drops
 * clients when thousands connect at once; the kernel caps this at net.core.somaxconn.
 */
const LISTEN_BACKLOG = 4096;

export interface StreamListener {
  /** The bound address as a URL (the real port when 0 was asked for). */
  readonly url: string;
  readonly address: StreamAddress;
  /** Stops accepting; open sockets are not touched. */
  close(): Promise<void>;
}

export interface ListenHandlers {
  /** A raw connection arrived (before any TLS handshake); return false to drop it. */
  admit(socket: Socket): boolean;
  /** A connection ready for bytes (after TLS, for tls://). */
  onSocket(socket: Socket): void;
  onError(error: Error): void;
}

/** Listens on `address`. */
export async function listenStream(
  address: StreamAddress,
  tls: ServerTlsOptions | undefined,
  handshakeTimeoutMs: number,
  handlers: ListenHandlers,
): Promise<StreamListener> {
  let server: NetServer;
  if (address.scheme === "tls") {
    if (!tls || (!tls.cert && !tls.pfx)) throw new TypeError(`${formatAddress(address)}: a tls:// listener needs tls.cert and tls.key (or tls.pfx)`);
    server = createTlsServer({ rejectUnauthorized: true, ...tls, handshakeTimeout: handshakeTimeoutMs }, (socket) => {
      socket.setNoDelay(true);
      handlers.onSocket(socket);
    });
    server.on("tlsClientError", (err: Error, socket: Socket) => {
      handlers.onError(new Error(`TLS handshake with ${socket.remoteAddress ?? "client"} failed: ${err.message}`));
      socket.destroy();
    });
  } else {
    server = createNetServer((socket) => {
      socket.setNoDelay(true);
      handlers.onSocket(socket);
    });
  }
  // 'connection' fires for the raw socket first, so refused clients never reach TLS.
  server.prependListener("connection", (socket: Socket) => {
    if (!handlers.admit(socket)) socket.destroy();
  });
  server.on("error", (err) => handlers.onError(err));

  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      if (address.scheme === "unix" && err.code === "EADDRINUSE" && address.path) {
        void removeStaleSocket(address.path).then((removed) => (removed ? server.listen({ path: address.path, backlog: LISTEN_BACKLOG }) : reject(err)));
        return;
      }
      reject(err);
    };
    server.on("error", onError);
    server.once("listening", () => {
      server.removeListener("error", onError);
      resolve();
    });
    if (address.scheme === "unix") server.listen({ path: address.path, backlog: LISTEN_BACKLOG });
    else server.listen({ port: address.port, host: address.host, backlog: LISTEN_BACKLOG });
  });

  const bound = server.address();
  const actual: StreamAddress =
    address.scheme === "unix" || typeof bound !== "object" || bound === null ? address : { ...address, port: bound.port };
  return {
    url: formatAddress(actual),
    address: actual,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
      }),
  };
}

/**
 * Removes a unix socket file left by a process that died: only a socket, and only when
 * nobody answers on it. A live server's socket and any other kind of file are left alone.
 */
async function removeStaleSocket(path: string): Promise<boolean> {
  try {
    if (!(await lstat(path)).isSocket()) return false;
  } catch {
    return false; // gone already or unreadable: the original EADDRINUSE stands
  }
  const answered = await new Promise<boolean>((resolve) => {
    const probe = netConnect({ path });
    probe.once("connect", () => {
      probe.destroy();
      resolve(true);
    });
    probe.once("error", (err: NodeJS.ErrnoException) => resolve(err.code !== "ECONNREFUSED"));
  });
  if (answered) return false;
  try {
    await unlink(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Opens a socket to `address`; rejects with UNAVAILABLE (a refused or unreachable server).
 * With `input`, a tcp:// or unix:// socket is read through it instead of 'data' events
 * (a tls:// one always emits 'data': TLS has its own reads).
 */
export function dialStream(address: StreamAddress, tls: ClientTlsOptions | undefined, timeoutMs: number, input?: SocketInput): Promise<Socket> {
  return new Promise((resolve, reject) => {
    let socket: Socket;
    const readyEvent = address.scheme === "tls" ? "secureConnect" : "connect";
    if (address.scheme === "unix") {
      socket = netConnect({ path: address.path!, ...(input ? { onread: input.onread } : {}) });
    } else if (address.scheme === "tls") {
      const servername = tls?.servername ?? serverName(address.host!);
      socket = tlsConnect({ ...tls, host: address.host!, port: address.port!, ...(servername ? { servername } : {}) });
    } else {
      socket = netConnect({ host: address.host!, port: address.port!, ...(input ? { onread: input.onread } : {}) });
    }
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new RpcError("UNAVAILABLE", `no connection to ${formatAddress(address)} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once("error", (err) => {
      clearTimeout(timer);
      reject(new RpcError("UNAVAILABLE", `cannot connect to ${formatAddress(address)}: ${err.message}`));
    });
    socket.once(readyEvent, () => {
      clearTimeout(timer);
      socket.setNoDelay(true);
      resolve(socket);
    });
  });
}

/** SNI must be a host name, never an IP address. */
function serverName(host: string): string | undefined {
  return /^[\d.]+$/.test(host) || host.includes(":") ? undefined : host;
}
