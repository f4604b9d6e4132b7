/**
 * Who is on the other end of a stream socket, as context().peer reports it: for every
 * protocol a one-port listener serves, not only farcall/1.
 */
import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import type { PeerInfo } from "../core/context.js";

/** Who is on the other end of `socket`. */
export function peerInfoOf(socket: Socket, transport: string, authenticated: boolean, unixPath?: string): PeerInfo {
  const info: { -readonly [K in keyof PeerInfo]: PeerInfo[K] } = {
    transport,
    address: socket.remoteAddress ?? unixPath ?? "unknown",
    authenticated,
  };
  if (socket.remotePort !== undefined) info.port = socket.remotePort;
  const tlsSocket = socket as TLSSocket;
  if (transport === "tls" && tlsSocket.authorized && typeof tlsSocket.getPeerCertificate === "function") {
    const cert = tlsSocket.getPeerCertificate();
    if (cert && cert.subject) info.certificateSubject = { ...cert.subject };
  }
  return info;
}
