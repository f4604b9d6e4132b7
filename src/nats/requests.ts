/**
 * One-shot calls on NATS, the instance side: a request on `<service>.<method>` carries one
 * farcall/1 CALL (or NOTIFY) frame, a request on `<service>.$batch` an array of them. Each
 * is decoded and checked by farcall/1's protocol, run by the call pipeline (lookup, the
 * in-flight limit, context(), interceptors, the deadline, the call log), and answered in a
 * NATS reply by the rules every Peer answers with (core/call-answer.ts).
 *
 * Why no Peer here: a Peer is a session with one partner, keyed by that partner's call ids,
 * holding its references and streams, told of cancellations. One-shot requests have no such
 * partner on an instance: NATS spreads a client's consecutive calls over every instance, an
 * idempotent call's retry may land on the instance still running its first attempt (same
 * id), and a client cannot send CANCEL because it does not know which instance holds a call
 * until it answers. A Peer per client per instance would see a random share of that client's
 * calls, refuse such a retry as a duplicate id, and need an expiry for every client that ever
 * called. So each request stands alone, and what a Peer would add is done once here for the
 * whole instance: one CallSink counts the calls in flight against maxCallsInFlight and keeps
 * them for close(). The client side does run a Peer (see call-link.ts). A result holding
 * references is the one answer that needs a session: it is encoded in the caller's
 * reference-only session (session-host.ts).
 */
import type { Msg, MsgHdrs } from "@nats-io/transport-node";
import { answerFrame, awaitsAnswer, type AnswerEncoder } from "../core/call-answer.js";
import { callClock } from "../core/call-log.js";
import { deadlineOf, metaOf } from "../core/call-meta.js";
import type { Codec } from "../core/codec.js";
import type { PeerInfo } from "../core/context.js";
import { describe } from "../core/describe.js";
import { RpcError } from "../core/errors.js";
import { createFarcallProtocol, frameHead, validateMessage } from "../core/farcall-protocol.js";
import { IncomingCall } from "../core/incoming-call.js";
import type { Logger } from "../core/logger.js";
import * as M from "../core/messages.js";
import type { CallPipeline, CallSink } from "../core/pipeline.js";
import { MessageError, type MessageProtocol } from "../core/protocol.js";
import { NATS_BATCH, NATS_SESSION } from "./address.js";
import { deadlineFrom, META_HEADER, metaFrom, TIMEOUT_HEADER } from "../core/call-headers.js";
import { CallStats, type MethodStats } from "./call-stats.js";
import { StallGuard } from "./stall-guard.js";
import { arrayOf, callerOf } from "./wire.js";

/** The settings of an instance's one-shot calls, from listenNats' config. */
export interface RequestsConfig {
  pipeline: CallPipeline;
  /** farcall/1's codec (MessagePack), with its decode limits. */
  codec: Codec;
  /** Extended JSON, for the metadata header. */
  json: Codec;
  maxFrameBytes: number;
  maxBatch: number;
  /** Calls this instance runs at once; more are answered RESOURCE_EXHAUSTED. */
  maxCallsInFlight: number;
  /** How often running calls' callers are told the instance is alive, ms (see beat()). */
  heartbeatMs: number;
  exposeErrorStacks: boolean;
  logger: Logger;
}

/** What the one-shot calls of an instance need from its listener. */
export interface RequestHost {
  readonly instance: string;
  /** The NATS server's max_payload, once known: no reply may be larger. */
  readonly maxPayload: number | undefined;
  /** The headers of a reply: `Farcall-Instance`, and `Farcall-Session` when the answer lives in `session`. */
  replyHeaders(session?: string): MsgHdrs;
  /** A RESULT holding references, encoded in the reference-only session of the caller replied to at `reply` (NatsSessionHost.encodeResult). */
  encodeInSession(reply: string, message: M.Message): { bytes: Uint8Array; subject: string } | undefined;
  /** Per-method figures of the calls, for `$SRV.STATS`. */
  readonly stats: CallStats;
  /** The value of a reserved target the instance answers itself (`$methods`, `$idempotent`); throws METHOD_NOT_FOUND for any other. */
  builtin(method: string): unknown;
  /** `$session`: opens a session pinned to this instance and answers `msg` itself. */
  openSession(msg: Msg, id: number): void;
}

/** The answers of one batch request, one slot per CALL member, replied together once all are in. */
class BatchReply {
  private readonly answers: Uint8Array[];
  private left: number;

  constructor(
    readonly msg: Msg,
    slots: number,
  ) {
    this.answers = new Array<Uint8Array>(slots);
    this.left = slots;
  }

  /** Fills `slot`; true once every slot is filled. */
  fill(slot: number, answer: Uint8Array): boolean {
    this.answers[slot] = answer;
    return --this.left === 0;
  }

  /** The reply: a MessagePack array of the answers, as they were encoded. */
  encode(): Uint8Array {
    return arrayOf(this.answers);
  }
}

/** A one-shot call being served: its request, and where its answer goes. */
class NatsCall extends IncomingCall implements AnswerEncoder {
  /** The caller's reference-only session, once the answer was encoded there. */
  session: string | undefined;
  /** Its method's figures for `$SRV.STATS`; undefined for a name that is not a method. */
  stats: MethodStats | undefined;

  constructor(
    private readonly requests: NatsRequests,
    readonly msg: Msg,
    /** The batch it belongs to, with its answer's slot there. */
    readonly batch: BatchReply | undefined,
    readonly slot: number,
    id: number,
    method: string,
    args: unknown[],
    meta: Record<string, unknown> | undefined,
    deadline: number | undefined,
    notification: boolean,
  ) {
    super("farcall/1", id, method, args, peerOf(msg), meta, deadline, undefined, notification);
  }

  /** AnswerEncoder: see NatsRequests.encodeAnswer. */
  encode(message: M.Message): Uint8Array {
    return this.requests.encodeAnswer(this, message);
  }
}

/** The one-shot calls of one instance; the CallSink of all of them. */
export class NatsRequests implements CallSink {
  /** CallSink: calls running now (the pipeline counts them). */
  inFlight = 0;
  readonly maxInFlight: number;
  readonly scope: string;
  /** Calls being served, so close() can answer those that cannot finish. */
  private readonly running = new Set<NatsCall>();
  private readonly protocol: MessageProtocol;
  private wakeIdle: (() => void) | undefined;
  /** Refuses what is read right after the instance stood still past its callers' patience. */
  private readonly stall: StallGuard;

  constructor(
    private readonly host: RequestHost,
    private readonly cfg: RequestsConfig,
  ) {
    this.maxInFlight = cfg.maxCallsInFlight;
    this.scope = `instance ${host.instance}`;
    this.protocol = createFarcallProtocol(cfg.codec);
    this.stall = new StallGuard(2 * cfg.heartbeatMs, Date.now());
  }

  get heartbeatMs(): number {
    return this.cfg.heartbeatMs;
  }

  /** Calls being served now. */
  get size(): number {
    return this.running.size;
  }

  /** A request on `<service>.<method>`: one call, or a batch. */
  onRequest(msg: Msg, method: string): void {
    const now = Date.now();
    if (this.stall.stood(now)) return this.refuse(msg, this.stall.refusal(this.host.instance, now));
    if (method === NATS_BATCH) return this.onBatch(msg, now);
    const data = msg.data;
    let message: M.Message;
    let deadline: number | undefined;
    let meta: Record<string, unknown> | undefined;
    try {
      if (data.length > this.cfg.maxFrameBytes) throw new RpcError("RESOURCE_EXHAUSTED", `request of ${data.length} B exceeds maxFrameBytes ${this.cfg.maxFrameBytes}`);
      message = this.protocol.decode(data, 0, data.length);
      deadline = deadlineFrom(msg.headers?.get(TIMEOUT_HEADER), now);
      meta = metaFrom(msg.headers?.get(META_HEADER), this.cfg.json);
    } catch (err) {
      return this.refuse(msg, err instanceof MessageError ? err.error : RpcError.from(err));
    }
    if (message[0] === M.CALL) this.runRequest(msg, method, message[1], message[2], message[3], message[4] ?? undefined, deadline, meta, !msg.reply);
    else if (message[0] === M.NOTIFY) this.runRequest(msg, method, 0, message[1], message[2], message[3] ?? undefined, deadline, meta, true);
    else this.refuse(msg, new RpcError("INVALID_REQUEST", "a NATS request carries one CALL or NOTIFY frame"));
  }

  private runRequest(msg: Msg, method: string, id: number, target: string, args: unknown[], frameMeta: M.CallMeta | undefined, deadline: number | undefined, meta: Record<string, unknown> | undefined, notification: boolean): void {
    // The subject is what NATS permissions checked; the frame must not name another method.
    if (target !== method) return this.refuse(msg, new RpcError("INVALID_REQUEST", `the frame calls ${JSON.stringify(target)} but was sent to ${JSON.stringify(method)}`));
    if (target === NATS_SESSION) return this.host.openSession(msg, id);
    // The headers are what NATS tools see, and the newest (an idempotent call sent again
    // carries its first frame, but its remaining time); the frame's own meta is the fallback.
    this.run(msg, undefined, 0, id, target, args, deadline ?? deadlineOf(frameMeta), meta ?? metaOf(frameMeta), notification);
  }

  /** CallSink: a call has its outcome; answer it unless nobody waits. */
  settled(served: IncomingCall, value: unknown, error: unknown, failed: boolean): void {
    const call = served as NatsCall;
    // Not running: close() gave up on it and answered it UNAVAILABLE already.
    if (!this.running.delete(call)) return;
    CallStats.ended(call.stats, call.started, failed, error);
    if (call.notification) {
      if (failed) this.cfg.logger.warn(`${describe(call.peer)}: notification ${call.method} failed: ${RpcError.from(error).message}`);
    } else if (awaitsAnswer(call)) {
      this.answer(call, answerFrame(call, this.protocol, call, value, error, failed, this.cfg.exposeErrorStacks));
    }
    if (this.running.size === 0) this.wakeIdle?.();
  }

  /**
   * The bytes of `call`'s answer. A result holding functions, ref() objects or streams is
   * encoded in the caller's reference-only session (not for a batch: one reply, one
   * session). Throws what makes it unsendable, the NATS server's max_payload included.
   */
  encodeAnswer(call: NatsCall, message: M.Message): Uint8Array {
    let bytes: Uint8Array;
    let session: string | undefined;
    try {
      bytes = this.protocol.encode(message);
    } catch (err) {
      const inSession = call.batch === undefined && message[0] === M.RESULT ? this.host.encodeInSession(call.msg.reply!, message) : undefined;
      if (inSession === undefined) throw err;
      bytes = inSession.bytes;
      session = inSession.subject;
    }
    this.checkPayload(bytes, "a reply");
    call.session = session;
    return bytes;
  }

  /**
   * A heartbeat: tells the caller of every call running now (a batch once) that this
   * instance is alive and still has it, by an empty reply naming the instance. Its absence
   * is how a client notices that the instance died or stopped (call-watch.ts).
   */
  beat(): void {
    const stood = this.stall.tick(Date.now());
    if (stood !== undefined) {
      // Their callers heard nothing for as long and gave up on them: stop them if they listen.
      const reason = new RpcError("UNAVAILABLE", `instance ${this.host.instance} stood still for ${stood} ms: its callers gave up on the calls it was running`);
      for (const call of this.running) call.abort(reason);
    }
    let batches: Set<Msg> | undefined;
    for (const call of this.running) {
      if (call.notification) continue;
      if (call.batch !== undefined) {
        batches ??= new Set();
        if (batches.has(call.msg)) continue;
        batches.add(call.msg);
      }
      this.reply(call.msg, HEARTBEAT);
    }
  }

  /** Resolves once no call is running. */
  whenIdle(): Promise<void> {
    return this.running.size === 0 ? Promise.resolve() : new Promise((resolve) => (this.wakeIdle = resolve));
  }

  /** Aborts every call still running with `reason` and answers it `answer`: close() waited long enough. */
  abandonAll(reason: RpcError, answer: RpcError): void {
    for (const call of this.running) {
      this.running.delete(call);
      call.abort(reason);
      if (!call.notification) this.answer(call, this.protocol.encode([M.ERROR, call.id, answer.toPayload()]));
    }
  }

  /** A batch: a MessagePack array of CALL and NOTIFY frames, answered by one array of RESULT and ERROR frames. */
  private onBatch(msg: Msg, now: number): void {
    const data = msg.data;
    let doc: unknown;
    let deadline: number | undefined;
    let meta: Record<string, unknown> | undefined;
    try {
      if (data.length > this.cfg.maxFrameBytes) throw new RpcError("RESOURCE_EXHAUSTED", `request of ${data.length} B exceeds maxFrameBytes ${this.cfg.maxFrameBytes}`);
      doc = this.cfg.codec.decode(data);
      deadline = deadlineFrom(msg.headers?.get(TIMEOUT_HEADER), now);
      meta = metaFrom(msg.headers?.get(META_HEADER), this.cfg.json);
    } catch (err) {
      return this.refuse(msg, RpcError.from(err));
    }
    if (!Array.isArray(doc) || doc.length === 0) return this.refuse(msg, new RpcError("INVALID_REQUEST", "a batch is a non-empty array of frames"));
    if (doc.length > this.cfg.maxBatch) return this.refuse(msg, new RpcError("RESOURCE_EXHAUSTED", `a batch of ${doc.length} exceeds maxBatch ${this.cfg.maxBatch}`));
    // Every member is checked before any runs, so the reply's slots are known.
    const members: (M.Message | MessageError)[] = doc.map(checkMember);
    const batch = new BatchReply(msg, members.filter((m) => m instanceof MessageError || m[0] !== M.NOTIFY).length);
    let slot = 0;
    for (const m of members) {
      if (m instanceof MessageError) this.fill(batch, slot++, this.protocol.encode([M.ERROR, m.callId ?? 0, m.error.toPayload()]));
      else if (m[0] === M.CALL) this.run(msg, batch, slot++, m[1], m[2], m[3], deadline ?? deadlineOf(m[4] ?? undefined), meta ?? metaOf(m[4] ?? undefined), false);
      else if (m[0] === M.NOTIFY) this.run(msg, undefined, 0, 0, m[1], m[2], deadline ?? deadlineOf(m[3] ?? undefined), meta ?? metaOf(m[3] ?? undefined), true);
    }
    if (slot === 0) this.reply(msg, batch.encode());
  }

  /** Runs one call through the pipeline; the reserved `$` targets are answered by the instance itself. */
  private run(msg: Msg, batch: BatchReply | undefined, slot: number, id: number, method: string, args: unknown[], deadline: number | undefined, meta: Record<string, unknown> | undefined, notification: boolean): void {
    if (method.charCodeAt(0) === 0x24 /* $ */) {
      if (notification) return;
      let answer: M.Message;
      try {
        answer = [M.RESULT, id, this.host.builtin(method)];
      } catch (err) {
        answer = [M.ERROR, id, RpcError.from(err).toPayload()];
      }
      const bytes = this.protocol.encode(answer);
      return batch ? this.fill(batch, slot, bytes) : this.reply(msg, bytes);
    }
    const call = new NatsCall(this, msg, batch, slot, id, method, args, meta, deadline, notification);
    // The same clock as the call log's, which sets `started` again only when it keeps one.
    call.started = callClock();
    call.stats = this.host.stats.of(method);
    CallStats.started(call.stats);
    this.running.add(call);
    this.cfg.pipeline.dispatch(call, this);
  }

  private answer(call: NatsCall, bytes: Uint8Array): void {
    if (call.batch) this.fill(call.batch, call.slot, bytes);
    else this.reply(call.msg, bytes, call.session);
  }

  private fill(batch: BatchReply, slot: number, answer: Uint8Array): void {
    if (!batch.fill(slot, answer)) return;
    let bytes = batch.encode();
    try {
      this.checkPayload(bytes, "a batch reply");
    } catch (err) {
      bytes = this.protocol.encode([M.ERROR, 0, RpcError.from(err).toPayload()]);
    }
    this.reply(batch.msg, bytes);
  }

  /** Answers a request that is not a call this instance runs, naming its call when the frame shows it. */
  private refuse(msg: Msg, error: RpcError): void {
    const head = frameHead(msg.data);
    this.reply(msg, this.protocol.encode([M.ERROR, head?.[0] === M.CALL ? head[1] : 0, error.toPayload()]));
  }

  private checkPayload(bytes: Uint8Array, what: string): void {
    const max = this.host.maxPayload;
    if (max !== undefined && bytes.length > max) throw new RpcError("RESOURCE_EXHAUSTED", `${what} of ${bytes.length} B exceeds the NATS server's max_payload ${max}`);
  }

  private reply(msg: Msg, bytes: Uint8Array, session?: string): void {
    if (!msg.reply) return;
    try {
      msg.respond(bytes, { headers: this.host.replyHeaders(session) });
    } catch (err) {
      // The connection is closed: the caller's deadline tells it.
      this.cfg.logger.info(`nats ${this.host.instance}: cannot reply: ${(err as Error).message}`);
    }
  }
}

/** A heartbeat's body: none (a reply's `Farcall-Instance` header is what makes it one). */
const HEARTBEAT = new Uint8Array(0);

/** A batch member as farcall/1 reads it: a CALL or NOTIFY, or why it is not one. */
function checkMember(doc: unknown): M.Message | MessageError {
  try {
    const message = validateMessage(doc);
    if (message[0] === M.CALL || message[0] === M.NOTIFY) return message;
    return new MessageError(new RpcError("INVALID_REQUEST", "a batch holds CALL and NOTIFY frames only"));
  } catch (err) {
    return err instanceof MessageError ? err : new MessageError(RpcError.from(err));
  }
}

/** The caller of a request, as far as NATS shows it (see {@link callerOf}). */
function peerOf(msg: Msg): PeerInfo {
  return { transport: "nats", address: msg.reply ? callerOf(msg.reply) : "nats", authenticated: false };
}
