/**
 * Bounding how long a client may take to send an HTTP request (slow loris), with node's own
 * mechanism: a server's `headersTimeout` and `requestTimeout`, enforced by a connection
 * checker that walks the connections with an unfinished request every
 * `connectionsCheckingInterval` ms and answers the late ones 408 through 'clientError'.
 * Idle keep-alive connections are node's `keepAliveTimeout`'s business, not this one's.
 */
import type { Server as HttpServer, ServerOptions } from "node:http";
import type { Socket } from "node:net";

/**
 * How often expired requests are looked for: a tenth of the timeout, so a late client is
 * cut off at most 10% after its limit, between 10 ms (each check walks only the connections
 * with an unfinished request, but runs on the event loop) and 1 s.
 */
function checkingIntervalMs(requestTimeoutMs: number): number {
  return Math.min(1000, Math.max(10, Math.floor(requestTimeoutMs / 10)));
}

/** node:http server options that end a request still arriving after `requestTimeoutMs`. */
export function requestTimeoutOptions(requestTimeoutMs: number): ServerOptions {
  return {
    requestTimeout: requestTimeoutMs,
    headersTimeout: requestTimeoutMs,
    connectionsCheckingInterval: checkingIntervalMs(requestTimeoutMs),
  };
}

/**
 * Starts the connection checker of a server that never listens (one fed sockets by the
 * sniff table with `emit("connection")`). node starts it on the 'listening' event, so that
 * event is emitted here; without it, sockets handed over are under no request timeout at
 * all. Call before the first socket is handed over: only sockets that arrive afterwards are
 * tracked. `server.close()` stops the checker.
 */
export function startRequestTimeouts(server: HttpServer): void {
  server.emit("listening");
}

/** node's answer to a request that took too long, sent before the socket is destroyed. */
const REQUEST_TIMEOUT_RESPONSE = Buffer.from("HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", "latin1");

/** How long a refused client gets to read its 408 before the socket is destroyed. */
const LINGER_MS = 1000;

/**
 * Ends a connection whose request node refused ('clientError'): 408 for a request that took
 * longer than requestTimeoutMs, so the client learns why; other parse errors just close.
 * Answers the reason to log.
 */
export function refuseClient(err: Error & { code?: string }, socket: Socket, requestTimeoutMs: number): string {
  if (err.code !== "ERR_HTTP_REQUEST_TIMEOUT") {
    socket.destroy();
    return `bad HTTP request: ${err.message}`;
  }
  if (socket.writable) {
    socket.end(REQUEST_TIMEOUT_RESPONSE);
    setTimeout(destroyLater, LINGER_MS, socket).unref();
  } else {
    socket.destroy();
  }
  return `request not complete within ${requestTimeoutMs} ms (requestTimeoutMs)`;
}

function destroyLater(socket: Socket): void {
  socket.destroy();
}
