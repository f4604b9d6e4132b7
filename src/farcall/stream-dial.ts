/**
 * connect()'s dialer for tcp://, tls:// and unix:// URLs: the reconnecting client of
 * client.ts over stream sockets (the preamble, length framing, the handshake).
 */
import { RpcError } from "../core/errors.js";
import type { Caller } from "../core/remote.js";
import type { ClientTlsOptions } from "../options.js";
import type { ResolvedConnect } from "../connect-options.js";
import { parseAddress, type StreamAddress } from "../net/address.js";
import { peerInfoOf } from "../net/peer-info.js";
import { dialStream } from "../net/tcp.js";
import { SocketInput } from "../net/socket-input.js";
import { startClient, withTimeout, type SessionDialer } from "./client.js";
import { dialFarcall } from "./stream-session.js";

/**
 * connect()'s dialer for tcp://, tls:// and unix:// URLs: resolves once the first session
 * is up and authenticated; UNAUTHENTICATED for a wrong key, UNAVAILABLE when unreachable.
 */
export async function farcallCaller(url: string, options: ResolvedConnect): Promise<Caller> {
  const address = parseAddress(url);
  if (options.tls && address.scheme !== "tls") throw new TypeError(`tls options were given but ${url} is not a tls:// address`);
  return startClient(url, options, streamDialer(url, address, options.tls));
}

/** TCP, TLS and Unix sockets: the preamble, length framing and the handshake. */
function streamDialer(url: string, address: StreamAddress, tls: ClientTlsOptions | undefined): SessionDialer {
  return async (cfg, hooks, timeoutMs, resuming) => {
    const started = Date.now();
    const input = address.scheme === "tls" ? undefined : new SocketInput();
    const socket = await dialStream(address, tls, timeoutMs, input);
    const info = peerInfoOf(socket, address.scheme, cfg.key !== undefined, address.path);
    const left = Math.max(1, timeoutMs - (Date.now() - started));
    return withTimeout(dialFarcall(socket, cfg, info, hooks, resuming, input), left, () => {
      socket.destroy();
      return new RpcError("UNAVAILABLE", `no handshake with ${url} within ${timeoutMs} ms`);
    });
  };
}

