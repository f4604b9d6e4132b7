/**
 * The client's one-shot calls on NATS: one Peer carries every call that needs no session,
 * and this link is its transport. Each CALL frame the Peer sends is published as a NATS
 * request on the method's subject (so the queue group hands every call to any instance),
 * with the client's inbox plus the call id as its reply subject; a NOTIFY frame is a plain
 * publish; a batch is one request on `<service>.$batch` carrying the members' frames. Each
 * reply frame goes back into the Peer. Ids, pending calls, deadlines and cancellation are
 * therefore the Peer's, as on any farcall/1 session; the link adds what NATS needs: each
 * request's subject and headers, sending an idempotent call again when an attempt goes
 * unanswered, NATS's no-responders status and permission errors, and results whose
 * references live in an instance's session.
 *
 * The Peer never receives a call: only RESULT and ERROR frames naming the call their reply
 * subject names reach it, so a stray message on the inbox cannot touch another call. It
 * takes no references either (maxReferences 0): a call passing one goes through a session.
 */
import type { Msg, MsgHdrs, NatsConnection, Subscription } from "@nats-io/transport-node";
import type { Codec } from "../core/codec.js";
import { RpcError } from "../core/errors.js";
import { createFarcallProtocol, frameHead } from "../core/farcall-protocol.js";
import type { Logger } from "../core/logger.js";
import * as M from "../core/messages.js";
import { Peer, type FrameSink } from "../core/peer.js";
import { CallPipeline } from "../core/pipeline.js";
import { MessageError, type MessageProtocol } from "../core/protocol.js";
import type { BatchedCall } from "../core/remote.js";
import { NATS_BATCH } from "./address.js";
import { NatsBatches, type BatchTransport } from "./call-batch.js";
import { CallWatch } from "./call-watch.js";
import { SESSION_HEADER, sessionPrefix } from "./session.js";
import type { NatsSessionClient } from "./session-client.js";
import { META_HEADER, TIMEOUT_HEADER } from "../core/call-headers.js";
import { INSTANCE_HEADER } from "./wire.js";

/** What the link needs from the caller that owns it. */
export interface CallLinkConfig {
  codec: Codec;
  /** The service's name, as in its subjects. */
  service: string;
  /** The service's URL, without credentials, for messages. */
  where: string;
  /** Attempts of an idempotent call, the first included. */
  attempts: number;
  /** How long one attempt of an idempotent call waits before the call is sent again, ms. */
  attemptTimeoutMs: number;
  /** The instances' heartbeat, ms: a request silent for 2.5 of them is given up (call-watch.ts). */
  heartbeatMs: number;
  maxFrameBytes: number;
  logger: Logger;
}

/** Returned by {@link NatsCallLink.notify} when the Peer never handed over the frame (it cannot be encoded). */
export const NOT_SENT: unique symbol = Symbol("not sent");

/** An idempotent call between attempts: sent again when one goes unanswered and unheard. */
class Attempts {
  timer: ReturnType<typeof setTimeout> | undefined;
  count = 1;
  /** A heartbeat came since the attempt timer was armed: an instance is running it. */
  alive = false;
  constructor(
    readonly id: number,
    readonly subject: string,
    readonly frame: Uint8Array,
    readonly deadline: number,
    readonly meta: string | undefined,
  ) {}
}

export class NatsCallLink implements FrameSink, BatchTransport {
  readonly peer: Peer;
  /** True when the last call()'s frame reached the link; false when the Peer refused it first. */
  handed = false;
  private readonly protocol: MessageProtocol;
  /** Replies come to `<inbox>.<call id>` (`<inbox>.b<n>` for a batch). */
  readonly inbox: string;
  private readonly sub: Subscription;
  /** The subject of every pending call, by id: a permission error names only the subject. */
  private readonly subjects = new Map<number, string>();
  private readonly attempts = new Map<number, Attempts>();
  /** Calls that open a session (`$session`): their reply joins it. */
  private readonly opens = new Set<number>();
  private readonly batches: NatsBatches;
  /** Requests waiting for an answer, and when their instance was last heard from. */
  readonly watch: CallWatch;
  // What the next frame the Peer sends is for, set just before it is asked to send it (the
  // Peer sends synchronously), so no object is made per call.
  private nextSubject: string | undefined;
  private nextMeta: string | undefined;
  private nextDeadline = 0;
  private nextRetry = false;
  private nextOpen = false;
  private nextNotify = false;
  /** A batch's frames, while it is assembled. */
  private collected: Uint8Array[] | undefined;
  /** Why the last notification could not be published. */
  private notifyError: RpcError | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly makeHeaders: () => MsgHdrs,
    createInbox: () => string,
    private readonly sessions: NatsSessionClient,
    private readonly cfg: CallLinkConfig,
  ) {
    this.protocol = createFarcallProtocol(cfg.codec);
    this.peer = new Peer(this, {
      protocol: this.protocol,
      pipeline: new CallPipeline({ logger: cfg.logger }),
      info: { transport: "nats", address: cfg.where, authenticated: false },
      // It serves nothing and holds no references; NATS tells it of lost instances (no keepalive).
      limits: { maxCallsInFlight: 0, keepaliveIntervalMs: 0, keepaliveTimeoutMs: 0, idleTimeoutMs: 0, maxReferences: 0 },
      exposeErrorStacks: false,
      logger: cfg.logger,
    });
    this.batches = new NatsBatches(this, cfg.codec, cfg.where, cfg.maxFrameBytes);
    this.watch = new CallWatch(cfg.heartbeatMs, (key) => (key < 0 ? this.batches.silent(-key, this.silence()) : this.silent(key)));
    this.inbox = createInbox();
    const tokenAt = this.inbox.length + 1;
    this.sub = nc.subscribe(`${this.inbox}.*`, { callback: (err, msg) => (err ? this.onInboxError(err) : this.onReply(msg, msg.subject.slice(tokenAt))) });
    void this.watchPermissions();
  }

  /** Calls `target` through the Peer as a request on `subject`; `meta` is the `Farcall-Meta` header. */
  call(subject: string, target: string, args: unknown[], deadline: number, signal: AbortSignal | undefined, meta: string | undefined, retry: boolean, opensSession = false): Promise<unknown> {
    this.prepare(subject, meta, deadline, retry, opensSession, false);
    const reply = this.peer.call(target, args, deadline, signal);
    this.handed = this.nextSubject === undefined;
    this.nextSubject = undefined;
    return reply;
  }

  /** Opens a full session on whichever instance answers `<service>.$session`. */
  openSession(subject: string, target: string, deadline: number): Promise<Peer> {
    return this.call(subject, target, [], deadline, undefined, undefined, false, true) as Promise<Peer>;
  }

  /** Publishes a notification through the Peer: undefined once published, why it could not be, or NOT_SENT. */
  notify(subject: string, target: string, args: unknown[], meta: string | undefined): RpcError | undefined | typeof NOT_SENT {
    this.prepare(subject, meta, 0, false, false, true);
    this.peer.notify(target, args);
    const handed = this.nextSubject === undefined;
    this.nextSubject = undefined;
    const error = this.notifyError;
    this.notifyError = undefined;
    return handed ? error : NOT_SENT;
  }

  /** Sends `members` as one request on `subject` (`<service>.$batch`); see NatsBatches.send. */
  batch(subject: string, members: readonly BatchedCall[], deadlines: readonly number[]): BatchedCall[] {
    return this.batches.send(subject, members, deadlines);
  }

  /** BatchTransport: keeps the frames the Peer sends in `frames` instead of publishing them. */
  collect(frames: Uint8Array[] | undefined): void {
    this.collected = frames;
  }

  /** FrameSink: a frame from the Peer. */
  send(frame: Uint8Array): void {
    if (this.collected !== undefined) {
      this.collected.push(frame);
      return;
    }
    const subject = this.nextSubject;
    if (subject === undefined) return this.control(frame);
    this.nextSubject = undefined;
    if (this.nextNotify) {
      this.notifyError = this.publish(subject, frame, undefined, this.nextDeadline, this.nextMeta);
      return;
    }
    const id = frameHead(frame)![1];
    this.subjects.set(id, subject);
    if (this.nextOpen) this.opens.add(id);
    const deadline = this.nextDeadline;
    if (this.nextRetry && this.cfg.attempts > 1) {
      // Kept for a silent instance (call-watch.ts) even when no attempt timer fits the deadline.
      const attempts = new Attempts(id, subject, frame, deadline, this.nextMeta);
      if (deadline - Date.now() > this.cfg.attemptTimeoutMs) attempts.timer = setTimeout(onAttemptTimeout, this.cfg.attemptTimeoutMs, this, attempts);
      this.attempts.set(id, attempts);
    }
    this.request(id, subject, frame, deadline, this.nextMeta);
  }

  /** FrameSink: the Peer closed (the client is closing): nothing more comes or goes. */
  close(): void {
    this.sub.unsubscribe();
    this.watch.close();
    for (const a of this.attempts.values()) clearTimeout(a.timer);
    this.attempts.clear();
    this.subjects.clear();
    this.batches.close(new RpcError("UNAVAILABLE", "the client was closed"));
  }

  /** An attempt's time is up: sent again, unless a heartbeat shows an instance running it (then the watch decides). */
  attemptTimedOut(a: Attempts): void {
    if (!a.alive) return this.retry(a);
    a.alive = false;
    a.timer = setTimeout(onAttemptTimeout, this.cfg.attemptTimeoutMs, this, a);
  }

  /** Sends an idempotent call again (NATS picks the instance), unless it was answered meanwhile. */
  retry(a: Attempts): void {
    a.timer = undefined;
    if (this.attempts.get(a.id) !== a) return;
    a.count++;
    const left = a.deadline - Date.now();
    // The last attempt waits for the deadline, which is the Peer's, or for its instance's silence.
    if (a.count >= this.cfg.attempts) this.attempts.delete(a.id);
    else if (left > this.cfg.attemptTimeoutMs) a.timer = setTimeout(onAttemptTimeout, this.cfg.attemptTimeoutMs, this, a);
    if (left > 0) this.request(a.id, a.subject, a.frame, a.deadline, a.meta);
  }

  private prepare(subject: string, meta: string | undefined, deadline: number, retry: boolean, opensSession: boolean, notify: boolean): void {
    this.nextSubject = subject;
    this.nextMeta = meta;
    this.nextDeadline = deadline;
    this.nextRetry = retry;
    this.nextOpen = opensSession;
    this.nextNotify = notify;
  }

  /** A frame the link did not prepare for: the Peer gave up on a call (CANCEL), or something it cannot carry. */
  private control(frame: Uint8Array): void {
    const head = frameHead(frame);
    if (head === undefined) return;
    const [type, id] = head;
    // NATS cannot cancel a request: the instance runs the call to its end, and its answer is dropped.
    if (type === M.CANCEL) this.forget(id);
    // Every call of this Peer comes through call(); anything else fails rather than waits forever.
    else if (type === M.CALL) this.peer.settle(id, undefined, new RpcError("INTERNAL", "the one-shot NATS Peer carries only calls made through the NATS caller"));
  }

  private request(id: number, subject: string, frame: Uint8Array, deadline: number, meta: string | undefined): void {
    const error = this.publish(subject, frame, `${this.inbox}.${id}`, deadline, meta);
    if (error) this.fail(id, error);
    else this.watch.note(id);
  }

  /** Call `id` heard nothing from its instance for the bound: sent again if idempotent attempts remain, else UNAVAILABLE. */
  private silent(id: number): void {
    const a = this.attempts.get(id);
    if (a !== undefined && a.count < this.cfg.attempts) {
      clearTimeout(a.timer);
      return this.retry(a);
    }
    this.fail(id, this.silence(this.subjects.get(id)));
  }

  /** Why a request was given up: its instance went quiet. */
  private silence(subject?: string): RpcError {
    const what = subject === undefined ? "a batch" : `a call on ${subject}`;
    return new RpcError("UNAVAILABLE", `${this.cfg.where}: the instance that took ${what} gave no sign of life for ${this.watch.boundMs} ms (heartbeat ${this.cfg.heartbeatMs} ms): it stopped, died or was cut off; the call may or may not have run`);
  }

  /** Publishes one request or notification; the error when it cannot be sent (over max_payload, the connection closed). */
  publish(subject: string, body: Uint8Array, reply: string | undefined, deadline: number, meta?: string): RpcError | undefined {
    const max = this.nc.info?.max_payload;
    if (max !== undefined && body.length > max) return new RpcError("RESOURCE_EXHAUSTED", `a request of ${body.length} B exceeds the NATS server's max_payload ${max}`);
    const headers = this.makeHeaders();
    // The instance is told the call's whole remaining time, whatever this attempt waits.
    if (deadline > 0) headers.set(TIMEOUT_HEADER, String(Math.max(1, Math.ceil(deadline - Date.now()))));
    if (meta !== undefined) headers.set(META_HEADER, meta);
    try {
      this.nc.publish(subject, body, reply === undefined ? { headers } : { reply, headers });
      return undefined;
    } catch (err) {
      const name = (err as { name?: unknown })?.name;
      if (name === "ClosedConnectionError" || name === "DrainingConnectionError") return new RpcError("UNAVAILABLE", "the client is closed");
      return new RpcError("UNAVAILABLE", `cannot publish on ${subject}: ${(err as Error).message}`, undefined, { cause: err });
    }
  }

  /** A reply on the inbox: `<inbox>.<call id>`, or `<inbox>.b<n>` for a batch. */
  private onReply(msg: Msg, token: string): void {
    if (!this.peer.open) return;
    const batch = token.charCodeAt(0) === 0x62; /* b */
    const key = batch ? -Number(token.slice(1)) : Number(token);
    // A heartbeat: an empty reply naming the instance, which is still running the request.
    if (msg.data.length === 0 && msg.headers?.get(INSTANCE_HEADER)) {
      if (batch ? this.batches.waiting(-key) : this.subjects.has(key)) this.watch.note(key);
      const a = batch ? undefined : this.attempts.get(key);
      if (a !== undefined) a.alive = true;
      return;
    }
    if (batch) return this.batches.onReply(msg, token);
    const id = key;
    if (!this.subjects.has(id)) return; // answered already (an idempotent call's other attempt), or given up on
    const opened = this.forget(id);
    const data = msg.data;
    if (data.length === 0) return this.fail(id, this.statusError(msg));
    if (data.length > this.cfg.maxFrameBytes) return this.fail(id, new RpcError("RESOURCE_EXHAUSTED", `reply of ${data.length} B exceeds maxFrameBytes ${this.cfg.maxFrameBytes}`));
    const head = frameHead(data);
    const session = msg.headers?.get(SESSION_HEADER) || undefined;
    if (head !== undefined && head[1] === id && (head[0] === M.RESULT || head[0] === M.ERROR)) {
      if (session === undefined && !(opened && head[0] === M.RESULT)) return this.peer.receive(data);
      return this.inSession(id, msg, session, opened);
    }
    this.unexpected(id, data);
  }

  /** A result that lives in a session of the instance: a `$session` call's, or one holding references. */
  private inSession(id: number, msg: Msg, subject: string | undefined, opened: boolean): void {
    const instance = msg.headers?.get(INSTANCE_HEADER) ?? "";
    // Only the answering instance's own session subjects are joined: a reply cannot point the client elsewhere.
    if (subject === undefined || instance === "" || !subject.startsWith(sessionPrefix(this.cfg.service, instance))) {
      return this.fail(id, new RpcError("INTERNAL", `the reply from ${this.cfg.where} names no session of its instance`));
    }
    const session = this.sessions.join(subject, instance, opened);
    if (opened) return this.peer.settle(id, session, undefined);
    let message: M.Message;
    try {
      // The references the result carries are imported into that session.
      message = session.decodeWith(this.protocol, msg.data);
    } catch (err) {
      return this.fail(id, err instanceof MessageError ? err.error : RpcError.from(err));
    }
    if (message[0] === M.RESULT) this.peer.settle(id, message[2], undefined);
    else if (message[0] === M.ERROR) this.peer.settle(id, undefined, RpcError.fromPayload(message[2]));
  }

  /** A reply that is not the answer its subject names: an instance's error for a request it could not read, or a foreign message. */
  private unexpected(id: number, data: Uint8Array): void {
    let doc: unknown;
    try {
      doc = this.cfg.codec.decode(data);
    } catch {
      // Not even MessagePack: named below like any other stray reply.
    }
    if (Array.isArray(doc) && doc[0] === M.ERROR) return this.fail(id, RpcError.fromPayload(doc[2]));
    this.fail(id, new RpcError("INTERNAL", `unexpected reply from ${this.cfg.where}`));
  }

  /** Drops what the link holds for call `id`; true when it was opening a session. */
  private forget(id: number): boolean {
    this.subjects.delete(id);
    this.watch.forget(id);
    if (this.attempts.size > 0) {
      const a = this.attempts.get(id);
      if (a) {
        clearTimeout(a.timer);
        this.attempts.delete(id);
      }
    }
    return this.opens.size > 0 && this.opens.delete(id);
  }

  private fail(id: number, error: RpcError): void {
    this.forget(id);
    this.peer.settle(id, undefined, error);
  }

  /** An empty reply: a NATS status (no responders), never a farcall/1 frame. */
  statusError(msg: Msg): RpcError {
    if (msg.headers?.code === 503) return new RpcError("UNAVAILABLE", `no instance of service ${JSON.stringify(this.cfg.service)} is listening on ${this.cfg.where}`);
    return new RpcError("UNAVAILABLE", `NATS answered ${msg.headers?.code ?? "an empty message"} ${msg.headers?.description ?? ""}`.trimEnd());
  }

  private onInboxError(err: Error): void {
    // The inbox subscription was refused (permissions): no reply can reach this client.
    const error = permissionError(err) ?? new RpcError("UNAVAILABLE", `the reply inbox failed: ${err.message}`);
    this.cfg.logger.error(`nats ${this.cfg.service}: ${error.message}`);
    for (const id of [...this.subjects.keys()]) this.fail(id, error);
  }

  /** NATS reports a refused publish only on the connection: the oldest call on that subject is the one refused. */
  private async watchPermissions(): Promise<void> {
    for await (const status of this.nc.status()) {
      if (status.type !== "error") continue;
      const denied = status.error as { operation?: unknown; subject?: unknown };
      const error = permissionError(status.error);
      if (error === undefined || denied.operation !== "publish") continue;
      if (denied.subject === `${this.cfg.service}.${NATS_BATCH}`) {
        this.batches.denied(error);
        continue;
      }
      for (const [id, subject] of this.subjects) {
        if (subject === denied.subject) {
          this.fail(id, error);
          break;
        }
      }
    }
  }
}

function onAttemptTimeout(link: NatsCallLink, a: Attempts): void {
  link.attemptTimedOut(a);
}

/** NATS's permissions violation as PERMISSION_DENIED; undefined for any other error. */
function permissionError(err: unknown): RpcError | undefined {
  if ((err as { name?: unknown })?.name !== "PermissionViolationError") return undefined;
  return new RpcError("PERMISSION_DENIED", (err as Error).message);
}
