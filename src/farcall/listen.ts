/**
 * farcall/1 on a one-port listener: the sniff entry that recognises the preamble and runs
 * the listener's side of the handshake, and the sessions a server drains on close().
 */
import { RpcError } from "../core/errors.js";
import { PREAMBLE } from "../core/farcall-protocol.js";
import type { Peer } from "../core/peer.js";
import type { SessionGroup } from "../net/connections.js";
import { peerInfoOf } from "../net/peer-info.js";
import { preambleMatcher, type SniffEntry } from "../net/sniff.js";
import type { ResumeRegistry } from "./resume-registry.js";
import { acceptFarcall, type StreamSessionConfig } from "./stream-session.js";

/** What a session hears when the server begins to close. */
const DRAIN_REASON = "the server is shutting down";

/** The farcall/1 sessions of a server, on all its listeners. */
export class FarcallSessions implements SessionGroup {
  private readonly peers = new Set<Peer>();
  /** Drains waiting for a session's connection to close, by session. */
  private readonly closeWaiters = new Map<Peer, () => void>();
  private draining = false;

  /** @param resume the server's resumable sessions, when it keeps them */
  constructor(readonly resume?: ResumeRegistry) {}

  /** A session whose handshake just completed; one completing during close() drains at once. */
  add(peer: Peer): void {
    if (this.draining) void peer.drain(DRAIN_REASON);
    this.peers.add(peer);
  }

  /**
   * What the sessions hold open now: references (functions and objects by reference, both
   * directions, streams not included) and streams (both directions).
   */
  load(): { sessions: number; references: number; streams: number } {
    let references = 0;
    let streams = 0;
    for (const peer of this.peers) {
      const open = peer.refs.openStreams;
      streams += open;
      references += Math.max(0, peer.refs.size - open);
    }
    return { sessions: this.peers.size, references, streams };
  }

  delete(peer: Peer): void {
    this.peers.delete(peer);
    this.closeWaiters.get(peer)?.();
    this.closeWaiters.delete(peer);
  }

  /**
   * Sends GOAWAY to every session; resolves when their calls and streams are done and the
   * client has closed the connection. Calls it sent before it read the GOAWAY are still
   * arriving until then: each is answered UNAVAILABLE (retriable), where closing at once
   * would drop them with the connection. Bounded by close()'s drainMs.
   */
  async drain(): Promise<void> {
    this.draining = true;
    // A session waiting for its client would only hold the drain up: that client comes back to a closed port.
    this.resume?.closeDetached(new RpcError("UNAVAILABLE", DRAIN_REASON));
    await Promise.all([...this.peers].map((peer) => peer.drain(DRAIN_REASON).then(() => this.whenClosed(peer))));
  }

  private whenClosed(peer: Peer): Promise<void> {
    if (!this.peers.has(peer)) return Promise.resolve();
    return new Promise((resolve) => this.closeWaiters.set(peer, resolve));
  }

  close(): void {
    const reason = new RpcError("UNAVAILABLE", "the server closed");
    for (const peer of this.peers) peer.close(reason);
  }
}

/**
 * The entry for farcall/1: the preamble starts the handshake of `cfg` (its key, its
 * pipeline), and a session that passes it joins `sessions`.
 */
export function farcallEntry(cfg: StreamSessionConfig, sessions: FarcallSessions): SniffEntry {
  const hooks = { onClose: (peer: Peer) => sessions.delete(peer) };
  return {
    name: "farcall/1",
    match: preambleMatcher(PREAMBLE),
    accept(socket, head, connection) {
      const { authenticated: _unused, ...info } = peerInfoOf(socket, connection.transport, false, connection.unixPath);
      acceptFarcall(
        socket,
        head,
        cfg,
        info,
        hooks,
        (peer) => {
          connection.established();
          connection.handshakeDone();
          sessions.add(peer);
        },
        (reason) => {
          connection.handshakeDone();
          cfg.logger.warn(`${connection.where}: refused: ${reason}`);
        },
      );
    },
  };
}
