/**
 * connect()'s dialer for ws:// and wss:// URLs: the reconnecting client of client.ts over
 * WebSocket connections speaking the "farcall.v1" subprotocol. The authkey is proved by the
 * handshake inside the socket, never put in the URL.
 */
import { RpcError } from "../core/errors.js";
import type { Caller } from "../core/remote.js";
import type { ResolvedConnect } from "../connect-options.js";
import { openWebSocket } from "../ws/dial.js";
import { startClient, withTimeout, type SessionDialer } from "./client.js";
import { dialMessageSession } from "./message-session.js";
import { nodeSigner } from "./node-signer.js";
import { FARCALL_WS_PROTOCOL } from "./ws-listen.js";

/** A reconnecting farcall/1 client over WebSocket, once its first session is up. */
export function farcallWsCaller(url: string, options: ResolvedConnect): Promise<Caller> {
  const u = new URL(url);
  if (u.username !== "" || u.password !== "") throw new TypeError(`${u.protocol}// URLs carry no credentials: pass the authkey option instead`);
  if (options.tls && u.protocol !== "wss:") throw new TypeError(`tls options were given but ${url} is not a wss:// address`);
  const transport = u.protocol === "wss:" ? "wss" : "ws";
  const dialer: SessionDialer = async (cfg, hooks, timeoutMs, resuming) => {
    const started = Date.now();
    const link = await openWebSocket(url, FARCALL_WS_PROTOCOL, { maxFrameBytes: cfg.maxFrameBytes, timeoutMs, tls: options.tls });
    const info = { transport, address: u.hostname, ...(u.port ? { port: Number(u.port) } : {}), authenticated: cfg.key !== undefined };
    const left = Math.max(1, timeoutMs - (Date.now() - started));
    return withTimeout(dialMessageSession(link, cfg, info, hooks, nodeSigner, resuming), left, () => {
      link.socket.terminate();
      return new RpcError("UNAVAILABLE", `no handshake with ${url} within ${timeoutMs} ms`);
    });
  };
  return startClient(url, options, dialer);
}
