/**
 * One session between two parties: ids and pending calls, deadlines and cancellation,
 * the handlers this side serves, keepalive and draining. A Peer never sees a socket: it
 * gets frames through `receive()` and hands frames to a {@link FrameSink}.
 */
import type { PeerInfo } from "./context.js";
import { describe } from "./describe.js";
import { awaitsAnswer, queuedAnswer } from "./call-answer.js";
import { RpcError, toErrorPayload, type ErrorPayload } from "./errors.js";
import { IncomingCall } from "./incoming-call.js";
import { IdMap } from "./id-map.js";
import { deadlineOf, metaOf, wireMetaOf } from "./call-meta.js";
import * as M from "./messages.js";
import { onDeadline, PendingCall, PendingTable, type CallCanceller } from "./pending-calls.js";
import { Liveness } from "./liveness.js";
import { NotificationSink, REFUSED_NOTIFICATION } from "./notification-sink.js";
import type { PeerOptions, FrameSink } from "./peer-options.js";
import type { CallSink } from "./pipeline.js";
import { MessageError } from "./protocol.js";
import { RefSession } from "./ref-session.js";
import type { RefContext } from "./ref-wire.js";
import { labelCaller, type Caller } from "./remote.js";
import { PeerCaller, PeerRefLink } from "./peer-caller.js";
import { sendFrame, type Frame } from "./split-frame.js";
import { PeerEncoder } from "./peer-encoder.js";

export type { FrameSink, PeerLimits, PeerOptions } from "./peer-options.js";

export class Peer implements CallCanceller, CallSink {
  /** The connection of the moment: a resumed session moves to its new one (resume-link.ts). */
  info: PeerInfo;
  private readonly pending = new PendingTable();
  /** Calls this side serves, by id, for CANCEL. */
  private readonly incoming = new IdMap<IncomingCall>();
  /** CallSink: calls this side is serving now (the pipeline counts them). */
  inFlight = 0;
  readonly maxInFlight: number;
  readonly scope = "this connection";
  private readonly notifications: NotificationSink;
  private closedWith: RpcError | undefined;
  /** This side sent GOAWAY: new incoming calls are refused. */
  private draining = false;
  /** The other side sent GOAWAY: send it nothing new. */
  goawayReceived = false;
  /** Keepalive and idle checks; a resumable session stops them while it has no transport. */
  readonly liveness: Liveness;
  private idleWaiters: (() => void)[] = [];
  /** Functions, objects and streams passed by reference, both ways. */
  readonly refs: RefSession;
  /** This session as a Caller: what context().remote() and imported references call through. */
  readonly caller: Caller;
  /** Encodes this session's messages for its own sink. */
  private readonly out: PeerEncoder;

  constructor(
    private readonly sink: FrameSink,
    private readonly options: PeerOptions,
  ) {
    this.info = options.info;
    this.maxInFlight = options.limits.maxCallsInFlight;
    this.notifications = new NotificationSink(this, options.logger);
    const peer = this;
    this.caller = new PeerCaller(this);
    labelCaller(this.caller, describe(options.info));
    this.refs = new RefSession(new PeerRefLink(this), options.limits.maxReferences ?? DEFAULT_MAX_REFERENCES);
    this.out = new PeerEncoder(options.protocol, this.refs, options.limits.maxFrameBytes, sink);
    this.liveness = new Liveness(
      {
        // A session holding references or streams is in use even without a call in flight.
        get quiet() {
          return peer.inFlight === 0 && peer.notifications.inFlight === 0 && peer.pending.size === 0 && peer.refs.size === 0;
        },
        sendPing: (nonce) => this.sendMessage([M.PING, nonce]),
        onIdle: (idleTimeoutMs) => {
          this.options.logger.info(`${describe(this.info)}: closing after ${idleTimeoutMs} ms without calls (idleTimeoutMs)`);
          this.sendMessage([M.GOAWAY, "idle"]);
          this.close(new RpcError("UNAVAILABLE", "the connection was idle"));
        },
        onStalled: (error) => this.fail(error, true),
        onUnresponsive: (timeoutMs) =>
          this.fail(new RpcError("UNAVAILABLE", `the peer did not answer a keepalive ping within ${timeoutMs} ms (${this.options.limits.keepaliveOption ?? "keepaliveTimeoutMs"})`)),
      },
      options.limits,
    );
  }

  /** True until the session has ended. */
  get open(): boolean {
    return this.closedWith === undefined;
  }

  /** Calls made by this side and not yet answered. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Calls this side is serving right now. */
  get inFlightCount(): number {
    return this.inFlight;
  }

  // ---- calling -------------------------------------------------------------------------

  /**
   * Calls `target` on the other side. Rejects with an RpcError, never hangs past its deadline.
   * Options are positional so the hot path allocates no options object per call.
   * @param deadline absolute ms since the epoch, or undefined for none
   */
  call(target: string, args: unknown[], deadline?: number, signal?: AbortSignal, meta?: Record<string, unknown>): Promise<unknown> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    if (signal?.aborted) return Promise.reject(new RpcError("CANCELLED", `${target}: the call was aborted before it was sent`));
    let timeout = 0;
    if (deadline !== undefined) {
      timeout = Math.ceil(deadline - Date.now());
      if (timeout <= 0) return Promise.reject(new RpcError("DEADLINE_EXCEEDED", `${target}: the deadline passed before the call was sent`));
    }
    const id = this.pending.allocateId();
    const wireMeta = timeout > 0 || meta ? wireMetaOf(timeout, meta) : undefined;
    let frame: Frame;
    try {
      frame = this.out.encode(wireMeta ? [M.CALL, id, target, args, wireMeta] : [M.CALL, id, target, args]);
    } catch (err) {
      return Promise.reject(RpcError.from(err));
    }
    const over = this.sink.overLimit?.(frame.byteLength);
    if (over !== undefined) return Promise.reject(new RpcError("RESOURCE_EXHAUSTED", `${target}: a call of ${frame.byteLength} B cannot be queued: ${over}`));
    const call = new PendingCall(id, target, this);
    const promise = new Promise<unknown>((resolve, reject) => {
      call.resolve = resolve;
      call.reject = reject;
    });
    this.pending.add(call);
    if (timeout > 0) call.timer = setTimeout(onDeadline, timeout, call, this, timeout);
    if (signal) {
      call.signal = signal;
      signal.addEventListener("abort", call);
    }
    this.liveness.callActivity();
    sendFrame(this.sink, frame);
    return promise;
  }

  /**
   * Sends a notification: a call with no answer. `done` learns whether it was handed to the
   * transport (an error when the session is closed or the arguments cannot be encoded).
   */
  notify(target: string, args: unknown[], meta?: Record<string, unknown>, done?: (error?: RpcError) => void): void {
    let error: RpcError | undefined = this.closedWith;
    if (!error) {
      try {
        const frame = this.out.encode(meta ? [M.NOTIFY, target, args, { metadata: meta }] : [M.NOTIFY, target, args]);
        const over = this.sink.overLimit?.(frame.byteLength);
        if (over !== undefined) throw new RpcError("RESOURCE_EXHAUSTED", `${target}: a notification of ${frame.byteLength} B cannot be queued: ${over}`);
        sendFrame(this.sink, frame);
        this.liveness.callActivity();
      } catch (err) {
        error = RpcError.from(err);
      }
    }
    if (done) queueMicrotask(() => done(error));
  }

  /** CallCanceller: the caller gave up on call `id` (deadline or abort). */
  abandon(id: number, error: RpcError): void {
    const call = this.pending.take(id);
    if (!call) return;
    call.reject(error);
    if (!this.closedWith) this.sendMessage(error.code === "DEADLINE_EXCEEDED" ? [M.CANCEL, id, "DEADLINE_EXCEEDED"] : [M.CANCEL, id]);
    this.checkIdle();
  }

  // ---- receiving -----------------------------------------------------------------------

  /** Handles one frame from the transport: bytes `start` to `end` of `frame`. */
  receive(frame: Uint8Array, start = 0, end = frame.length): void {
    if (this.closedWith) return;
    this.liveness.frameReceived();
    let msg: M.Message;
    try {
      this.refs.beginDecode();
      msg = this.options.protocol.decode(frame, start, end, this.refs);
    } catch (err) {
      if (err instanceof MessageError) {
        this.refs.discardDecoded();
        if (err.resultId !== undefined) {
          // A result we cannot take (a limit, a released reference): that call fails, the session stays.
          this.settle(err.resultId, undefined, err.error);
          return;
        }
        if (err.callId !== undefined) {
          this.options.logger.warn(`${describe(this.info)}: call ${err.callId} refused: ${err.error.message}`);
          this.sendMessage([M.ERROR, err.callId, err.error.toPayload()]);
          return;
        }
        this.fail(err.error.code === "RESOURCE_EXHAUSTED" ? err.error : new RpcError("INVALID_REQUEST", `protocol violation: ${err.error.message}`));
        return;
      }
      throw err;
    }
    switch (msg[0]) {
      case M.CALL:
        this.serve(msg[1], msg[2], msg[3], msg[4] ?? undefined, false);
        break;
      case M.NEXT:
        if (!this.refs.onNext(msg[1], msg[2], end - start)) this.fail(new RpcError("RESOURCE_EXHAUSTED", `stream ${msg[1]}: the producer sent more items than it was granted`));
        break;
      case M.END:
        this.refs.onEnd(msg[1], msg[2] === undefined || msg[2] === null ? undefined : RpcError.fromPayload(msg[2]));
        break;
      case M.CREDIT:
        this.refs.onCredit(msg[1], msg[2]);
        break;
      case M.RELEASE:
        this.refs.onRelease(msg[1], msg[2]);
        break;
      case M.RESULT:
        this.settle(msg[1], msg[2], undefined);
        break;
      case M.ERROR:
        this.settle(msg[1], undefined, RpcError.fromPayload(msg[2]));
        break;
      case M.NOTIFY:
        this.serve(0, msg[1], msg[2], msg[3] ?? undefined, true);
        break;
      case M.CANCEL:
        this.incoming.get(msg[1])?.abort(msg[2] === "DEADLINE_EXCEEDED" ? new RpcError("DEADLINE_EXCEEDED", "the caller's deadline passed") : new RpcError("CANCELLED", "the caller cancelled the call"));
        break;
      case M.PING:
        this.sendMessage([M.PONG, msg[1]]);
        break;
      case M.PONG:
        break;
      case M.GOAWAY:
        this.goawayReceived = true;
        this.options.onGoaway?.(this, msg[1]);
        break;
    }
  }

  /**
   * Settles call `id` with its answer (an error when `error` is set). Frames settle calls
   * themselves; this is for an answer that came another way: a NATS reply whose references
   * live in another session, or a transport failure of that one call.
   */
  settle(id: number, value: unknown, error: RpcError | undefined): void {
    const call = this.pending.take(id);
    if (!call) return; // answered after we gave up on it: nothing waits any more
    if (error) call.reject(error);
    else call.resolve(value);
    this.liveness.callActivity();
    this.checkIdle();
  }

  private serve(id: number, target: string, args: unknown[], meta: M.CallMeta | undefined, notification: boolean): void {
    this.liveness.callActivity();
    const call = new IncomingCall("farcall/1", id, target, args, this.info, metaOf(meta), deadlineOf(meta), this.caller, notification);
    const sink: CallSink = notification ? this.notifications : this;
    if (this.draining) return this.refuse(call, new RpcError("UNAVAILABLE", "the server is shutting down"), sink);
    if (!notification) {
      if (this.incoming.get(id)) return this.refuse(call, new RpcError("INVALID_REQUEST", `call id ${id} is already in flight`), sink);
      if (target === M.LIST_METHODS) {
        this.sendMessage([M.RESULT, id, this.options.pipeline.dispatcher?.list() ?? []]);
        return;
      }
    }
    if (target.charCodeAt(0) === 0x24 /* $ */) {
      try {
        call.entry = this.refs.lookup(target);
      } catch (err) {
        return this.refuse(call, RpcError.from(err), sink);
      }
    }
    const streams = this.refs.decodedStreams();
    if (streams) {
      call.streams = streams;
      call.watchDeadline();
    }
    if (!notification) this.incoming.add(call);
    this.options.pipeline.dispatch(call, sink);
  }

  /** Fails `call` before any handler ran; what its message brought in is given back. */
  private refuse(call: IncomingCall, error: RpcError, sink: CallSink): void {
    this.refs.discardDecoded();
    this.options.pipeline.refuse(call, error, call.notification ? REFUSED_NOTIFICATION : sink);
  }

  /** CallSink: a call this side served has its outcome; answer it unless nobody waits. */
  settled(call: IncomingCall, value: unknown, error: unknown, failed: boolean): void {
    if (this.incoming.get(call.id) === call) this.incoming.take(call.id);
    if (!this.closedWith && awaitsAnswer(call)) sendFrame(this.sink, queuedAnswer(this.sink, this.out, this.options.protocol, call, value, error, failed, this.options.exposeErrorStacks));
    this.liveness.callActivity();
    this.checkIdle();
  }

  // ---- lifecycle -----------------------------------------------------------------------

  /** Sends GOAWAY: accepted calls finish, new ones get UNAVAILABLE; resolves once no call or stream is open either way. */
  drain(reason: string): Promise<void> {
    if (!this.draining && !this.closedWith) {
      this.draining = true;
      this.sendMessage([M.GOAWAY, reason]);
    }
    return this.whenIdle();
  }

  /** Resolves once no call is in flight and no stream open in either direction (or the session ended). */
  whenIdle(): Promise<void> {
    if (this.closedWith || this.idle) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private get idle(): boolean {
    return this.inFlight === 0 && this.notifications.inFlight === 0 && this.pending.size === 0 && this.refs.openStreams === 0;
  }

  /** Wakes whenIdle() waiters if nothing is in flight any more. */
  checkIdle(): void {
    if (this.idleWaiters.length > 0 && this.idle) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  /** Ends the session: pending calls reject, handlers abort; with `discard` (or calls pending) unsent and unread frames are dropped. */
  close(reason: RpcError = new RpcError("UNAVAILABLE", "the connection was closed"), discard = false): void {
    if (this.closedWith) return;
    this.closedWith = reason;
    this.liveness.stop();
    const abort = discard || this.pending.size > 0; // calls reported failed must not be delivered later
    this.pending.rejectAll(reason);
    for (const call of this.incoming.drain()) call.abort(reason);
    this.refs.close(reason);
    this.sink.close(abort);
    this.checkIdle();
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
    this.options.onClose?.(this, reason);
  }

  /** See Liveness.stalled: the error ending a session this process stood still too long to keep. */
  stallError(): RpcError | undefined {
    return this.liveness.stalled(Date.now());
  }

  /** Closes because the other side broke the protocol or a limit; logs one line. */
  private fail(reason: RpcError, discard = false): void {
    this.options.logger.warn(`${describe(this.info)}: closing: ${reason.code}: ${reason.message}`);
    this.close(reason, discard);
  }

  /** Sends `msg`; throws (sending nothing) when it cannot be encoded. */
  sendMessage(msg: M.Message): void {
    sendFrame(this.sink, this.out.encode(msg));
  }

  /**
   * Encodes `msg` with this session's references, without sending it (a transport that
   * carries some answers outside the session, as NATS does); a message that fails exports
   * nothing. Throws RpcError for a message that cannot be sent.
   */
  encode(msg: M.Message): Uint8Array {
    return this.out.encodeBytes(msg);
  }

  /** See {@link FrameSink.room}. */
  room(): Promise<void> | undefined {
    return this.closedWith ? undefined : this.sink.room?.();
  }

  /** Decodes `bytes` with `decoder` (a codec or message protocol) and this session's references, given back if it throws. */
  decodeWith<T>(decoder: { decode(bytes: Uint8Array, start: number, end: number, refs?: RefContext): T }, bytes: Uint8Array): T {
    this.refs.beginDecode();
    try {
      return decoder.decode(bytes, 0, bytes.length, this.refs);
    } catch (err) {
      this.refs.discardDecoded();
      throw err;
    }
  }

  /** Sends `msg` unless the session has ended. */
  sendIfOpen(msg: M.Message): void {
    if (!this.closedWith) this.sendMessage(msg);
  }

  /** The wire form of an error thrown here, with a stack only if this side opted in. */
  errorPayload(error: unknown): ErrorPayload {
    return toErrorPayload(error, this.options.exposeErrorStacks);
  }
}

const DEFAULT_MAX_REFERENCES = 10_000;
