/**
 * A batch() over NATS: one request on `<service>.$batch` whose body is the array of its
 * members' farcall/1 frames, answered by one array of RESULT and ERROR frames. Each member
 * is a call (or notification) of the one-shot Peer, with its own id, deadline, signal and
 * metadata; only the frames travel together. A batch is never sent twice.
 */
import type { Msg } from "@nats-io/transport-node";
import type { Codec } from "../core/codec.js";
import { RpcError } from "../core/errors.js";
import { frameHead, validateMessage } from "../core/farcall-protocol.js";
import * as M from "../core/messages.js";
import type { Peer } from "../core/peer.js";
import type { BatchedCall } from "../core/remote.js";
import { arrayOf } from "./wire.js";

/** What batches need from the link that carries the one-shot Peer's frames. */
export interface BatchTransport {
  readonly peer: Peer;
  readonly inbox: string;
  /** Keeps the frames the Peer sends in `frames` instead of publishing them; undefined stops. */
  collect(frames: Uint8Array[] | undefined): void;
  /** Batches waiting for a reply, with their instances' last sign of life, by key (minus the batch's number). */
  readonly watch: { note(key: number): void; forget(key: number): void };
  /** Publishes `body` with reply subject `reply`; the error when it cannot be sent. */
  publish(subject: string, body: Uint8Array, reply: string, deadline: number): RpcError | undefined;
  /** What an empty reply (a NATS status) means. */
  statusError(msg: Msg): RpcError;
}

/** A batch request waiting for its one reply. */
class PendingBatch {
  timer: ReturnType<typeof setTimeout> | undefined;
  constructor(
    readonly ids: number[],
    /** The notifications among its members, told how the batch fared. */
    readonly notified: ((error?: RpcError) => void)[],
  ) {}
}

export class NatsBatches {
  /** Batches waiting for their reply, oldest first, by reply token (`b<n>`). */
  private readonly pending = new Map<string, PendingBatch>();
  private next = 1;

  constructor(
    private readonly link: BatchTransport,
    private readonly codec: Codec,
    /** The service's URL, for messages. */
    private readonly where: string,
    private readonly maxFrameBytes: number,
  ) {}

  /**
   * Sends `members` as one request on `subject`, each with its deadline from `deadlines`;
   * the request's `Farcall-Timeout` is the shortest deadline of its calls. Returns the
   * members the Peer refused before sending (aborted, past their deadline, not encodable
   * without a session), for the caller to make one by one.
   */
  send(subject: string, members: readonly BatchedCall[], deadlines: readonly number[]): BatchedCall[] {
    const peer = this.link.peer;
    const frames: Uint8Array[] = [];
    const ids: number[] = [];
    const notified: ((error?: RpcError) => void)[] = [];
    const unsent: BatchedCall[] = [];
    let first = Infinity;
    let last = 0;
    this.link.collect(frames);
    try {
      for (let i = 0; i < members.length; i++) {
        const m = members[i]!;
        const deadline = deadlines[i]!;
        const before = frames.length;
        if (m.kind === "call") {
          const reply = peer.call(m.target, m.args, deadline, m.options.signal, m.options.meta);
          if (frames.length === before) {
            reply.catch(ignore);
            unsent.push(m);
            continue;
          }
          ids.push(frameHead(frames[before]!)![1]);
          first = Math.min(first, deadline);
          reply.then(m.resolve, m.reject);
        } else {
          peer.notify(m.target, m.args, m.options.meta);
          if (frames.length === before) {
            unsent.push(m);
            continue;
          }
          if (m.done) notified.push(m.done);
        }
        last = Math.max(last, deadline);
      }
    } finally {
      this.link.collect(undefined);
    }
    if (frames.length > 0) this.request(subject, frames, new PendingBatch(ids, notified), first === Infinity ? last : first, last);
    return unsent;
  }

  /** True while batch number `n` waits for its reply. */
  waiting(n: number): boolean {
    return this.pending.has(`b${n}`);
  }

  /** Batch number `n` heard nothing from its instance for the bound: its calls fail with `error`. */
  silent(n: number, error: RpcError): void {
    const token = `b${n}`;
    const batch = this.pending.get(token);
    if (batch === undefined) return;
    this.pending.delete(token);
    this.end(batch, error);
  }

  /** The reply to batch `token`. */
  onReply(msg: Msg, token: string): void {
    const batch = this.pending.get(token);
    if (batch === undefined) return;
    this.pending.delete(token);
    this.link.watch.forget(-Number(token.slice(1)));
    clearTimeout(batch.timer);
    const data = msg.data;
    if (data.length === 0) return this.end(batch, this.link.statusError(msg));
    if (data.length > this.maxFrameBytes) return this.end(batch, new RpcError("RESOURCE_EXHAUSTED", `a batch reply of ${data.length} B exceeds maxFrameBytes ${this.maxFrameBytes}`));
    let doc: unknown;
    try {
      doc = this.codec.decode(data);
    } catch (err) {
      return this.end(batch, RpcError.from(err));
    }
    if (!Array.isArray(doc) || (doc.length > 0 && !Array.isArray(doc[0]))) {
      // One ERROR frame instead of an array: the instance refused the whole batch.
      return this.end(batch, Array.isArray(doc) && doc[0] === M.ERROR ? RpcError.fromPayload(doc[2]) : new RpcError("INTERNAL", `unexpected reply from ${this.where} to a batch`));
    }
    // A batch's results carry no references: its answers are settled from the decoded array.
    const peer = this.link.peer;
    const mine = new Set(batch.ids);
    for (const item of doc) {
      let answer: M.Message;
      try {
        answer = validateMessage(item);
      } catch {
        continue; // its call is named below, as one without an answer
      }
      if (answer[0] === M.RESULT && mine.delete(answer[1])) peer.settle(answer[1], answer[2], undefined);
      else if (answer[0] === M.ERROR && mine.delete(answer[1])) peer.settle(answer[1], undefined, RpcError.fromPayload(answer[2]));
    }
    for (const id of mine) peer.settle(id, undefined, new RpcError("INTERNAL", `the batch reply from ${this.where} has no answer for call ${id}`));
    for (const done of batch.notified) done();
  }

  /** NATS refused a publish on `$batch`: the oldest batch waiting is the one refused. */
  denied(error: RpcError): void {
    for (const [token, batch] of this.pending) {
      this.pending.delete(token);
      return this.end(batch, error);
    }
  }

  /** The time of batch `token` is up: its calls ended at their deadlines; its notifications learn it. */
  expire(token: string): void {
    const batch = this.pending.get(token);
    if (batch === undefined) return;
    this.pending.delete(token);
    this.link.watch.forget(-Number(token.slice(1)));
    this.end(batch, new RpcError("DEADLINE_EXCEEDED", `a batch of ${batch.ids.length + batch.notified.length}: no answer from ${this.where} within its deadline`));
  }

  /** Ends every batch waiting with `error`. */
  close(error: RpcError): void {
    for (const batch of this.pending.values()) this.end(batch, error);
    this.pending.clear();
  }

  private request(subject: string, frames: Uint8Array[], batch: PendingBatch, deadline: number, latest: number): void {
    const n = this.next;
    const token = `b${n}`;
    this.next = this.next >= 0x7fffffff ? 1 : this.next + 1;
    const error = this.link.publish(subject, arrayOf(frames), `${this.link.inbox}.${token}`, deadline);
    if (error) return this.end(batch, error);
    this.pending.set(token, batch);
    this.link.watch.note(-n);
    // Each call ends at its own deadline (the Peer's); the notifications learn once the last has passed.
    batch.timer = setTimeout(onBatchTimeout, Math.max(1, latest - Date.now()), this, token);
  }

  /** Fails every call of `batch` with `error`, and tells its notifications. */
  private end(batch: PendingBatch, error: RpcError): void {
    clearTimeout(batch.timer);
    for (const id of batch.ids) this.link.peer.settle(id, undefined, error);
    for (const done of batch.notified) done(error);
  }
}

function onBatchTimeout(batches: NatsBatches, token: string): void {
  batches.expire(token);
}

function ignore(): void {}
