/**
 * farcall/1 over a stream socket (TCP, TLS, Unix): the preamble, length framing, the
 * handshake of handshake.ts, then a Peer. Both the listener's and the dialer's side live here.
 */
import type { Socket } from "node:net";
import { createHandshakeCodec } from "../codecs/msgpack.js";
import type { Codec } from "../core/codec.js";
import type { PeerInfo } from "../core/context.js";
import type { CallPipeline } from "../core/pipeline.js";
import { RpcError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import { describe } from "../core/describe.js";
import { Peer, type FrameSink, type PeerLimits } from "../core/peer.js";
import type { SplitFrame } from "../core/split-frame.js";
import { dialerCheck, dialerReply, listenerAccept, listenerHello } from "./handshake.js";
import { nodeSigner } from "./node-signer.js";
import { planResume, settleResume, type ClientResume, type ResumePlan, type ResumeWish } from "./resume-dialer.js";
import { resumeRefused } from "./resume-handshake.js";
import type { ResumableLink } from "./resume-link.js";
import type { ResumeRegistry } from "./resume-registry.js";
import { PREAMBLE } from "../core/farcall-protocol.js";
import { sessionPeerOptions, type SessionHooks } from "./message-session.js";
import { FrameReader } from "../net/frame-reader.js";
import { FrameWriter, type WriteBudget } from "../net/framing.js";
import type { ReadBudget } from "../net/read-budget.js";
import type { SocketInput } from "../net/socket-input.js";
import { readAccepted } from "../net/accepted-input.js";

/** Largest handshake document; the real ones are about 100 bytes. */
const MAX_HANDSHAKE_FRAME = 4096;
/** Bytes queued for the socket above which stream producers wait for it to drain. */
const ROOM_BYTES = 1024 * 1024;
/** How long a closing socket may take to flush before it is destroyed. */
const CLOSE_GRACE_MS = 2000;

export interface StreamSessionConfig {
  codec: Codec;
  key: Uint8Array | undefined;
  maxFrameBytes: number;
  maxWriteBufferBytes: number;
  /** The server's cap on bytes queued over all its connections; none on a client. */
  writeBudget?: WriteBudget | undefined;
  /** The server's cap on bytes held for large frames still arriving over all its connections; none on a client. */
  readBudget?: ReadBudget | undefined;
  limits: PeerLimits;
  exposeErrorStacks: boolean;
  logger: Logger;
  /** Runs the calls this side serves. */
  pipeline: CallPipeline;
  /** A server's resumable sessions; undefined when it keeps none (resumeWindowMs 0). */
  resume?: ResumeRegistry | undefined;
  /** A client's resumable sessions (their bounds, who hears of drops); undefined when it asks for none. */
  clientResume?: ClientResume | undefined;
}

/** The socket side of a session: frames in, frames out. */
class StreamLink implements FrameSink {
  readonly reader: FrameReader;
  readonly writer: FrameWriter;
  onFrame: (buf: Buffer, start: number, end: number) => void = () => {};
  onFailure: (error: RpcError) => void = () => {};
  /** Whether input must be dropped unread because this process stood still (the session's check). */
  stalled: () => boolean = () => false;
  private closing = false;

  /**
   * @param input how a dialed socket reads into a buffer of its own
   * @param accepted a listener's socket: read through the process's shared read buffer
   */
  constructor(readonly socket: Socket, cfg: StreamSessionConfig, input?: SocketInput, accepted = false) {
    // Until the handshake is done only handshake-sized frames are accepted, so a peer that
    // has proved nothing cannot make us hold maxFrameBytes per connection.
    this.reader = new FrameReader(MAX_HANDSHAKE_FRAME, (buf, start, end) => this.onFrame(buf, start, end), (e) => this.onFailure(e), "the handshake frame limit", cfg.readBudget);
    // A frame cut off by the peer's hang-up gives its buffer's share of the budget back.
    if (cfg.readBudget) socket.once("close", () => this.reader.stop());
    this.writer = new FrameWriter(socket, cfg.maxWriteBufferBytes, (e) => this.onFailure(e), cfg.writeBudget);
    const push = (chunk: Buffer, reused: boolean): void => {
      // A clock read per chunk (0.15 µs of a W1 call): the input that waited through a stop
      // is read before any timer runs, so only a check here keeps it from running.
      if (!this.stalled()) this.reader.push(chunk, reused);
    };
    const room = (): Buffer | undefined => this.reader.room();
    if (input) input.read(push, room);
    else if (accepted) readAccepted(socket, push, room);
    else socket.on("data", (chunk: Buffer) => push(chunk, false));
    // A reset or broken pipe is followed by 'close', which ends the session with the reason
    // that matters to callers (UNAVAILABLE); without a listener it would crash the process.
    socket.on("error", noop);
  }

  send(frame: Uint8Array): void {
    this.writer.write(frame);
  }

  /** Large byte arrays go to the socket from their own memory, beside the frame's other bytes. */
  sendSplit(frame: SplitFrame): void {
    this.writer.write(frame);
  }

  overLimit(bytes: number): string | undefined {
    return this.writer.overLimit(bytes);
  }

  room(): Promise<void> | undefined {
    if (this.closing || this.writer.pendingBytes + this.socket.writableLength < ROOM_BYTES) return undefined;
    return new Promise((resolve) => {
      // Queued frames reach the socket on the next tick; then wait for the socket to drain.
      setImmediate(() => {
        if (this.closing || this.socket.destroyed || this.socket.writableLength < ROOM_BYTES) return resolve();
        const done = (): void => {
          this.socket.off("drain", done);
          this.socket.off("close", done);
          resolve();
        };
        this.socket.on("drain", done);
        this.socket.on("close", done);
      });
    });
  }

  close(abort = false): void {
    if (this.closing) return;
    this.closing = true;
    this.reader.stop();
    if (abort) {
      // A reset makes both kernels drop what is still unsent or unread; an end would deliver it.
      this.writer.close();
      this.socket.resetAndDestroy();
      return;
    }
    this.writer.flush();
    this.writer.close();
    this.socket.end();
    setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS).unref();
  }
}

function noop(): void {}

/** Routes `link`'s frames and failures to `peer`, through `resumable` on a resumable session. */
function wire(link: StreamLink, cfg: StreamSessionConfig, info: PeerInfo, peer: Peer, resumable: ResumableLink | undefined): void {
  link.reader.setLimit(cfg.maxFrameBytes, "maxFrameBytes");
  link.onFrame = resumable ? (buf, start, end) => resumable.receive(buf, start, end) : (buf, start, end) => peer.receive(buf, start, end);
  link.stalled = () => {
    const error = peer.stallError();
    if (error === undefined) return false;
    cfg.logger.warn(`${describe(info)}: closing: ${error.code}: ${error.message}`);
    peer.close(error, true); // reset: nothing read from this connection runs
    return true;
  };
  link.onFailure = (error) => {
    cfg.logger.warn(`${describe(info)}: closing: ${error.code}: ${error.message}`);
    peer.close(error);
  };
  link.socket.on("close", () => {
    const error = new RpcError("UNAVAILABLE", `connection to ${describe(info)} closed`);
    if (resumable) resumable.detach(link, error);
    else peer.close(error);
  });
}

function makePeer(link: StreamLink, cfg: StreamSessionConfig, info: PeerInfo, hooks: SessionHooks, resumable?: ResumableLink): Peer {
  const peer = new Peer(resumable ?? link, sessionPeerOptions(cfg, info, hooks));
  if (resumable) resumable.peer = peer;
  wire(link, cfg, info, peer, resumable);
  return peer;
}

/**
 * Listener side, once the sniffer saw the preamble: sends the hello, checks the dialer's
 * proof, then starts the session. Frames the dialer pipelines after its proof are held
 * by the reader until the proof has been checked.
 */
export function acceptFarcall(
  socket: Socket,
  head: Buffer,
  cfg: StreamSessionConfig,
  info: Omit<PeerInfo, "authenticated">,
  hooks: SessionHooks,
  onSession: (peer: Peer) => void,
  onRefused: (reason: string) => void,
): void {
  const hs = createHandshakeCodec();
  const codecs = [cfg.codec.name];
  const { hello, challenge } = listenerHello(cfg.key, codecs, cfg.resume?.settings.windowMs);
  const link = new StreamLink(socket, cfg, undefined, true);
  const refuse = (reason: string): void => {
    link.close();
    onRefused(reason);
  };
  link.onFailure = (error) => refuse(`${error.code}: ${error.message}`);
  link.onFrame = (buf, start, end) => {
    let doc: unknown;
    try {
      doc = hs.decode(buf, start, end);
    } catch (err) {
      refuse(`bad handshake: ${RpcError.from(err).message}`);
      return;
    }
    const verdict = listenerAccept(doc, cfg.key, challenge, codecs, cfg.resume);
    link.send(hs.encode(verdict.reply));
    if (verdict.error) {
      refuse(verdict.error.message);
      return;
    }
    const full = { ...info, authenticated: cfg.key !== undefined };
    const step = verdict.step;
    if (step.kind === "resumed") {
      wire(link, cfg, full, step.link.peer, step.link);
      step.link.attach(link, step.received, full);
      onSession(step.link.peer);
      return;
    }
    onSession(makePeer(link, cfg, full, hooks, step.kind === "fresh" ? step.open(link, describe(full)) : undefined));
  };
  link.send(hs.encode(hello));
  link.reader.push(head.subarray(PREAMBLE.length));
}

/**
 * Dialer side: preamble, handshake, then a Peer (with `resuming`, that session's Peer,
 * resumed over `socket`). Rejects with UNAUTHENTICATED or UNAVAILABLE.
 */
export function dialFarcall(
  socket: Socket,
  cfg: StreamSessionConfig,
  info: PeerInfo,
  hooks: SessionHooks,
  resuming?: ResumableLink,
  /** How `socket` is read when it was dialed with a reused read buffer. */
  input?: SocketInput,
): Promise<Peer> {
  const wish: ResumeWish = { ...cfg.clientResume, resuming };
  return new Promise((resolve, reject) => {
    const hs = createHandshakeCodec();
    const link = new StreamLink(socket, cfg, input);
    let challenge: Uint8Array | undefined;
    let plan: ResumePlan | undefined;
    const fail = (error: RpcError): void => {
      socket.removeListener("close", onClose);
      link.close();
      reject(error);
    };
    const onClose = (): void => fail(new RpcError("UNAVAILABLE", `connection to ${describe(info)} closed during the handshake`));
    socket.once("close", onClose);
    link.onFailure = fail;
    const onHello = async (doc: unknown): Promise<void> => {
      const step = dialerReply(doc, cfg.key, cfg.codec.name);
      if ("error" in step) return fail(step.error);
      // Nothing arrives before this reply is sent, so the resume proofs may take their time.
      const planned = await planResume(doc as Record<string, unknown>, wish, cfg.key, (doc as { challenge: Uint8Array }).challenge, step.challenge, nodeSigner);
      if (planned instanceof RpcError) return fail(planned);
      plan = planned;
      challenge = step.challenge;
      if (plan.ask !== undefined) step.reply.resume = plan.ask;
      link.send(hs.encode(step.reply));
    };
    link.onFrame = (buf, start, end) => {
      let doc: unknown;
      try {
        doc = hs.decode(buf, start, end);
      } catch (err) {
        fail(new RpcError("UNAVAILABLE", `bad handshake from server: ${RpcError.from(err).message}`));
        return;
      }
      if (!plan) {
        if (challenge) return fail(new RpcError("UNAVAILABLE", "the server sent twice before the dialer's reply"));
        challenge = EMPTY;
        onHello(doc).catch((err: unknown) => fail(RpcError.from(err)));
        return;
      }
      const error = dialerCheck(doc, cfg.key, challenge!);
      if (error) return fail(wish.resuming ? resumeRefused(error.message) : error);
      const settled = settleResume(doc as Record<string, unknown>, plan, wish, link, describe(info), cfg.logger);
      if (settled instanceof RpcError) return fail(settled);
      socket.removeListener("close", onClose);
      if ("resumed" in settled) {
        const { resumed, received } = settled;
        wire(link, cfg, info, resumed.peer, resumed);
        resumed.attach(link, received);
        resolve(resumed.peer);
        return;
      }
      resolve(makePeer(link, cfg, info, hooks, settled.fresh));
    };
    link.writer.writeRaw(PREAMBLE);
  });
}

const EMPTY = new Uint8Array(0);
