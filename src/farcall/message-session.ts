/**
 * farcall/1 over a message transport (WebSocket, MessagePort): one frame per message, no
 * preamble (the transport's own handshake, a WebSocket subprotocol, already said which
 * protocol this is), then the handshake of handshake.ts and a Peer. The dialer's side lives
 * here and imports no Node module (browsers dial); the listener's is message-accept.ts.
 */
import { createHandshakeCodec } from "../codecs/msgpack.js";
import type { PeerInfo } from "../core/context.js";
import { describe } from "../core/describe.js";
import { RpcError } from "../core/errors.js";
import { createFarcallProtocol } from "../core/farcall-protocol.js";
import { Peer, type FrameSink, type PeerOptions } from "../core/peer.js";
import { DIALER_LABEL, LISTENER_LABEL } from "../core/authkey.js";
import { badServerProof, checkHello, checkVerdict, dialerReplyDoc, randomChallenge, sameProof, type ProofSigner } from "./handshake-dialer.js";
import type { StreamSessionConfig } from "./stream-session.js";
import type { ResumePlan, ResumeWish } from "./resume-dialer.js";
import { resumeRefused } from "./resume-handshake.js";
import type { ResumableLink } from "./resume-link.js";

/** Largest handshake message; the real ones are about 100 bytes (as on stream transports). */
export const MAX_HANDSHAKE_MESSAGE = 4096;
/** Messages held while the dialer checks the verdict; a server sends a few at most. */
const MAX_HELD_MESSAGES = 64;

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

/** A farcall/1 session's Peer options, over any transport. */
export function sessionPeerOptions(cfg: StreamSessionConfig, info: PeerInfo, hooks: SessionHooks): PeerOptions {
  return {
    protocol: createFarcallProtocol(cfg.codec),
    pipeline: cfg.pipeline,
    info,
    // The transport refuses frames over maxFrameBytes (ws: maxPayload); never send one.
    limits: { ...cfg.limits, maxFrameBytes: cfg.maxFrameBytes },
    exposeErrorStacks: cfg.exposeErrorStacks,
    logger: cfg.logger,
    ...hooks,
  };
}

/** The session, once the handshake is done: the link's messages go to a new Peer (through `resumable` on a resumable session). */
export function startPeer(link: MessageLink, cfg: StreamSessionConfig, info: PeerInfo, hooks: SessionHooks, resumable?: ResumableLink): Peer {
  const peer = new Peer(resumable ?? link, sessionPeerOptions(cfg, info, hooks));
  if (resumable) resumable.peer = peer;
  wireMessages(link, peer, resumable);
  return peer;
}

/** Routes `link`'s messages and its end to `peer`, through `resumable` on a resumable session. */
export function wireMessages(link: MessageLink, peer: Peer, resumable: ResumableLink | undefined): void {
  if (resumable) {
    link.onMessage = (data) => resumable.receive(data, 0, data.length);
    link.onClose = (error) => resumable.detach(link, error);
  } else {
    link.onMessage = (data) => peer.receive(data);
    link.onClose = (error) => peer.close(error);
  }
}

/**
 * Dialer side: the handshake, then a Peer (with `resuming`, that session's Peer, resumed over
 * `link`). Rejects with UNAUTHENTICATED or UNAVAILABLE. The signer may be asynchronous
 * (WebCrypto), so messages arriving while a proof is computed or checked are held and handed
 * on in order.
 */
export function dialMessageSession(link: MessageLink, cfg: StreamSessionConfig, info: PeerInfo, hooks: SessionHooks, signer: ProofSigner, resuming?: ResumableLink): Promise<Peer> {
  const wish: ResumeWish = { ...cfg.clientResume, resuming };
  return new Promise((resolve, reject) => {
    const hs = createHandshakeCodec();
    const key = cfg.key;
    let step: "hello" | "verdict" | "busy" = "hello";
    let challenge: Uint8Array = new Uint8Array(0);
    let plan: ResumePlan = { ask: undefined };
    // The resume part of the handshake is loaded only by a client that asked for resumption,
    // so the browser build's first module goes without it (a chunk of its own).
    let resume: typeof import("./resume-dialer.js") | undefined;
    let held: Uint8Array[] = [];
    let failed = false;
    const fail = (error: RpcError): void => {
      if (failed) return;
      failed = true;
      link.close();
      reject(error);
    };
    const onHello = async (doc: unknown): Promise<void> => {
      const hello = checkHello(doc, key, cfg.codec.name);
      if ("error" in hello) return fail(hello.error);
      challenge = randomChallenge();
      const proof = key ? await signer.sign(key, DIALER_LABEL, hello.challenge) : undefined;
      if (wish.limits || wish.resuming) resume = await import("./resume-dialer.js");
      const planned = resume ? await resume.planResume(doc as Record<string, unknown>, wish, key, hello.challenge, challenge, signer) : plan;
      if (planned instanceof RpcError) return fail(planned);
      plan = planned;
      const reply = dialerReplyDoc(cfg.codec.name, challenge, proof);
      if (plan.ask !== undefined) reply.resume = plan.ask;
      link.send(hs.encode(reply));
      step = "verdict";
    };
    const onVerdict = async (doc: unknown): Promise<void> => {
      const verdict = checkVerdict(doc);
      if ("error" in verdict) return fail(resuming ? resumeRefused(verdict.error.message) : verdict.error);
      if (key && !sameProof(await signer.sign(key, LISTENER_LABEL, challenge), verdict.proof)) return fail(badServerProof());
      if (failed) return;
      const settled = resume ? resume.settleResume(doc as Record<string, unknown>, plan, wish, link, describe(info), cfg.logger) : { fresh: undefined };
      if (settled instanceof RpcError) return fail(settled);
      let peer: Peer;
      if ("resumed" in settled) {
        peer = settled.resumed.peer;
        wireMessages(link, peer, settled.resumed);
        settled.resumed.attach(link, settled.received);
      } else {
        peer = startPeer(link, cfg, info, hooks, settled.fresh);
      }
      resolve(peer);
      for (const data of held) link.onMessage(data);
      held = [];
    };
    // The close says why (a WebSocket's code and reason, e.g. 1013 past maxConnections).
    link.onClose = (error) => fail(new RpcError("UNAVAILABLE", `connection to ${describe(info)} closed during the handshake: ${error.message}`));
    link.onMessage = (data) => {
      if (step === "busy") {
        // The server may send right after its verdict (a PING, a call); they wait for the Peer.
        if (held.length >= MAX_HELD_MESSAGES) return fail(new RpcError("UNAVAILABLE", `the server sent more than ${MAX_HELD_MESSAGES} messages during the handshake`));
        held.push(data);
        return;
      }
      if (data.length > MAX_HANDSHAKE_MESSAGE) return fail(new RpcError("UNAVAILABLE", `the server's handshake message of ${data.length} B exceeds ${MAX_HANDSHAKE_MESSAGE}`));
      let doc: unknown;
      try {
        doc = hs.decode(data, 0, data.length);
      } catch (err) {
        return fail(new RpcError("UNAVAILABLE", `bad handshake from server: ${RpcError.from(err).message}`));
      }
      const next = step === "hello" ? onHello : onVerdict;
      step = "busy";
      next(doc).catch((err: unknown) => fail(new RpcError("UNAVAILABLE", `handshake failed: ${RpcError.from(err).message}`)));
    };
  });
}
