/**
 * connect()'s dialer in a browser: the reconnecting client of client.ts over the runtime's
 * own WebSocket ("farcall.v1" subprotocol), with the handshake's HMAC by WebCrypto. The
 * authkey is proved inside the socket, never put in the URL.
 */
import { RpcError } from "../core/errors.js";
import type { Caller } from "../core/remote.js";
import type { ResolvedConnect } from "../connect-options.js";
import { openBrowserWebSocket, type WebSocketConstructor } from "../ws/browser-link.js";
import { startClient, withTimeout, type SessionDialer } from "./client.js";
import { webCryptoSigner } from "./handshake-dialer.js";
import { dialMessageSession } from "./message-session.js";

/** The subprotocol of farcall/1 over WebSocket (ws-listen.ts names it for the server). */
const FARCALL_WS_PROTOCOL = "farcall.v1";

/** A reconnecting farcall/1 client over the runtime's WebSocket, once its first session is up. */
export function farcallBrowserCaller(url: string, options: ResolvedConnect): Promise<Caller> {
  const Ctor = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (!Ctor) throw new TypeError("this runtime has no WebSocket; on Node import farcall's Node entry, which uses the ws library");
  const u = new URL(url);
  if (u.protocol !== "ws:" && u.protocol !== "wss:") throw new TypeError(`${url}: the browser build connects to ws:// and wss:// URLs only`);
  if (u.username !== "" || u.password !== "") throw new TypeError(`${u.protocol}// URLs carry no credentials: pass the authkey option instead`);
  const transport = u.protocol === "wss:" ? "wss" : "ws";
  const dialer: SessionDialer = async (cfg, hooks, timeoutMs, resuming) => {
    const started = Date.now();
    const link = await openBrowserWebSocket(Ctor, url, FARCALL_WS_PROTOCOL, timeoutMs);
    const info = { transport, address: u.hostname, ...(u.port ? { port: Number(u.port) } : {}), authenticated: cfg.key !== undefined };
    const left = Math.max(1, timeoutMs - (Date.now() - started));
    return withTimeout(dialMessageSession(link, cfg, info, hooks, webCryptoSigner, resuming), left, () => {
      link.close();
      return new RpcError("UNAVAILABLE", `no handshake with ${url} within ${timeoutMs} ms`);
    });
  };
  return startClient(url, options, dialer);
}
