/**
 * farcall/1 over a message transport, the listener's side (Node: its proofs use node:crypto
 * through handshake.ts, synchronously, so no message can slip in between the proof's check
 * and the session's start).
 */
import { createHandshakeCodec } from "../codecs/msgpack.js";
import type { PeerInfo } from "../core/context.js";
import { RpcError } from "../core/errors.js";
import type { Peer } from "../core/peer.js";
import { describe } from "../core/describe.js";
import { listenerAccept, listenerHello } from "./handshake.js";
import { MAX_HANDSHAKE_MESSAGE, startPeer, wireMessages, type MessageLink, type SessionHooks } from "./message-session.js";
import type { StreamSessionConfig } from "./stream-session.js";

/**
 * Listener side: sends the hello, checks the dialer's proof, then starts the session.
 * Messages the dialer sends after its proof wait in the transport until then, because the
 * proof is checked synchronously on arrival.
 */
export function acceptMessageSession(link: MessageLink, cfg: StreamSessionConfig, info: Omit<PeerInfo, "authenticated">, hooks: SessionHooks): Promise<Peer> {
  return new Promise((resolve, reject) => {
    const hs = createHandshakeCodec();
    const codecs = [cfg.codec.name];
    const { hello, challenge } = listenerHello(cfg.key, codecs, cfg.resume?.settings.windowMs);
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
      const verdict = listenerAccept(doc, cfg.key, challenge, codecs, cfg.resume);
      link.send(hs.encode(verdict.reply));
      if (verdict.error) return refuse(verdict.error.message);
      const full = { ...info, authenticated: cfg.key !== undefined };
      const step = verdict.step;
      if (step.kind === "resumed") {
        wireMessages(link, step.link.peer, step.link);
        step.link.attach(link, step.received, full);
        return resolve(step.link.peer);
      }
      resolve(startPeer(link, cfg, full, hooks, step.kind === "fresh" ? step.open(link, describe(full)) : undefined));
    };
    link.send(hs.encode(hello));
  });
}

