/**
 * Opens a WebSocket from Node with the `ws` library, asking for one subprotocol; a refusal
 * (an HTTP answer instead of 101) rejects with UNAVAILABLE and the server's reason.
 */
import type { IncomingMessage } from "node:http";
import { WebSocket } from "ws";
import { RpcError } from "../core/errors.js";
import { WsLink } from "./link.js";
import type { ClientTlsOptions } from "../options.js";

/** Longest refusal body read for the error message. */
const MAX_REFUSAL_BYTES = 512;

export interface WsDialOptions {
  maxFrameBytes: number;
  timeoutMs: number;
  tls: ClientTlsOptions | undefined;
}

/** An open WebSocket to `url` speaking `protocol`, as a link (so no early message is lost). */
export function openWebSocket(url: string, protocol: string, options: WsDialOptions): Promise<WsLink> {
  return openWebSocketAs(url, protocol, options, (socket) => new WsLink(socket, url));
}

/**
 * An open WebSocket to `url` speaking `protocol`, handed to `take` in its 'open' event, so
 * that whatever listens to it does so before any message can be parsed.
 */
export function openWebSocketAs<T>(url: string, protocol: string, options: WsDialOptions, take: (socket: WebSocket) => T): Promise<T> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, [protocol], {
      maxPayload: options.maxFrameBytes,
      perMessageDeflate: false,
      handshakeTimeout: options.timeoutMs,
      ...(options.tls ?? {}),
    });
    const fail = (error: RpcError): void => {
      socket.removeAllListeners();
      socket.on("error", () => {}); // a late error from a socket already given up on says nothing new
      socket.terminate();
      reject(error);
    };
    socket.once("open", () => {
      socket.removeAllListeners();
      // Taken now, in the 'open' event, so that messages parsed right after it are held.
      resolve(take(socket));
    });
    socket.once("error", (err: Error) => fail(new RpcError("UNAVAILABLE", `cannot open a WebSocket to ${url}: ${err.message}`)));
    socket.once("unexpected-response", (_req: unknown, res: IncomingMessage) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        if (body.length < MAX_REFUSAL_BYTES) body += chunk;
      });
      res.on("end", () => fail(new RpcError("UNAVAILABLE", `${url} refused the WebSocket upgrade (HTTP ${res.statusCode}): ${body.trim().slice(0, MAX_REFUSAL_BYTES)}`)));
      res.on("error", () => fail(new RpcError("UNAVAILABLE", `${url} refused the WebSocket upgrade (HTTP ${res.statusCode})`)));
    });
  });
}
