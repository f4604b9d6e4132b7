/**
 * farcall/1 over a message transport (WebSocket, MessagePort): one frame per message, no
 * preamble (the transport's own handshake, a WebSocket subprotocol, already said which
 * protocol this is), then the handshake of handshake.ts and a Peer. Both sides live here; the
 * transport is a {@link MessageLink}, so this file imports no Node module.
 */
import { createHandshakeCodec } from "../codecs/msgpack.js";
import type { PeerInfo } from "../core/context.js";
import { describe } from "../core/describe.js";
import { RpcError } from "../core/errors.js";
import { createFarcallProtocol } from "../core/farcall-protocol.js";
import { Peer, type FrameSink } from "../core/peer.js";
import { dialerCheck, dialerReply, listenerCheck, listenerHello } from "./handshake.js";
import type { StreamSessionConfig } from "./stream-session.js";

/** Largest handshake message; the real ones are about 100 bytes (as on stream transports). */
const MAX_HANDSHAKE_MESSAGE = 4096;

/** What a session needs from a message transport. */
export interface MessageLink extends FrameSink {
  /** Set by the session: each binary message, whole. */
  onMessage: (data: Uint8Array) => void;
  /** Set by the session: the transport closed or failed, with why. */
  onClose: (error: RpcError) => void;
  /** Closes with a reason the other side can read (a WebSocket close reason). */
  refuse(reason: string): void;
}

/** The Peer's hooks a session owner may set. */
export type SessionHooks = Pick<ConstructorParameters<typeof Peer>[1], "onClose" | "onGoaway">;

function startPeer(link: MessageLink, cfg: StreamSessionConfig, info: PeerInfo, hooks: SessionHooks): Peer {
  const peer = new Peer(link, {
    protocol: createFarcallProtocol(cfg.codec),
    pipeline: cfg.pipeline,
    info,
    // The transport refuses messages over maxFrameBytes (ws: maxPayload); never send one.
    limits: { ...cfg.limits, maxFrameBytes: cfg.maxFrameBytes },
    exposeErrorStacks: cfg.exposeErrorStacks,
    logger: cfg.logger,
    ...hooks,
  });
  link.onMessage = (data) => peer.receive(data);
  link.onClose = (error) => peer.close(error);
  return peer;
}

/**
 * Listener side: sends the hello, checks the dialer's proof, then starts the session.
 * Messages the dialer sends after its proof wait in the transport until then, because the
 * proof is checked synchronously on arrival.
 */
export function acceptMessageSession(link: MessageLink, cfg: StreamSessionConfig, info: Omit<PeerInfo, "authenticated">, hooks: SessionHooks): Promise<Peer> {
  return new Promise((resolve, reject) => {
    const hs = createHandshakeCodec();
    const codecs = [cfg.codec.name];
    const { hello, challenge } = listenerHello(cfg.key, codecs);
    const refuse = (reason: string): void => {
      link.refuse(reason);
      reject(new RpcError("UNAUTHENTICATED", reason));
    };
    link.onClose = (error) => reject(error);
    link.onMessage = (data) => {
      if (data.length > MAX_HANDSHAKE_MESSAGE) return refuse(`handshake message of ${data.length} B exceeds the handshake limit ${MAX_HANDSHAKE_MESSAGE}`);
      let doc: unknown;
      try {
        doc = hs.decode(data, 0, data.length);
      } catch (err) {
        return refuse(`bad handshake: ${RpcError.from(err).message}`);
      }
      const verdict = listenerCheck(doc, cfg.key, challenge, codecs);
      link.send(hs.encode(verdict.reply));
      if (verdict.error) return refuse(verdict.error.message);
      resolve(startPeer(link, cfg, { ...info, authenticated: cfg.key !== undefined }, hooks));
    };
    link.send(hs.encode(hello));
  });
}

/** Dialer side: the handshake, then a Peer. Rejects with UNAUTHENTICATED or UNAVAILABLE. */
export function dialMessageSession(link: MessageLink, cfg: StreamSessionConfig, info: PeerInfo, hooks: SessionHooks): Promise<Peer> {
  return new Promise((resolve, reject) => {
    const hs = createHandshakeCodec();
    let challenge: Uint8Array | undefined;
    const fail = (error: RpcError): void => {
      link.close();
      reject(error);
    };
    link.onClose = () => reject(new RpcError("UNAVAILABLE", `connection to ${describe(info)} closed during the handshake`));
    link.onMessage = (data) => {
      if (data.length > MAX_HANDSHAKE_MESSAGE) return fail(new RpcError("UNAVAILABLE", `the server's handshake message of ${data.length} B exceeds ${MAX_HANDSHAKE_MESSAGE}`));
      let doc: unknown;
      try {
        doc = hs.decode(data, 0, data.length);
      } catch (err) {
        return fail(new RpcError("UNAVAILABLE", `bad handshake from server: ${RpcError.from(err).message}`));
      }
      if (!challenge) {
        const step = dialerReply(doc, cfg.key, cfg.codec.name);
        if ("error" in step) return fail(step.error);
        challenge = step.challenge;
        link.send(hs.encode(step.reply));
        return;
      }
      const error = dialerCheck(doc, cfg.key, challenge);
      if (error) return fail(error);
      resolve(startPeer(link, cfg, info, hooks));
    };
  });
}
