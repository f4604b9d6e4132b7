/**
 * The line of puts waiting on the demo's full JetStream queue, shared by every instance, so
 * that waiting puts go in first come, first served across instances, as Python's Queue
 * serves its waiting puts in order.
 *
 * A put that found the queue full takes a ticket: a message in the line's own stream, whose
 * sequence is its place. Only the put whose ticket is first tries again when room is made;
 * it leaves the line (deletes its ticket) once it went in, gave up or failed. A put that finds
 * room at its first try goes in without a ticket, as a new put in Python takes a free slot
 * before a woken waiter has the lock again.
 *
 * A ticket whose put can no longer leave (its instance died or stands still) must not hold
 * the line: a waiting put that finds another instance's ticket first asks that instance
 * (core NATS request on `<line subject>.<instance>`) whether the put still waits, and deletes
 * the ticket when the answer is no, no one answers, or no answer comes within PING_MS. A put
 * whose ticket was deleted so counts as first: it was ahead of every ticket left.
 */
import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { isApiAnswer, isClosed } from "./kv-cas.js";

/** The most puts waiting at once across instances; past it a put waits without a place (it races). */
export const LINE_MAX = 10_000;
/** How long the owner of the first ticket has to say its put still waits. */
const PING_MS = 1_000;
/** How long a ticket is sent again while JetStream does not answer (one id: stored once). */
const JOIN_MS = 10_000;
const TRY_MS = 1_000;

const WAITS = new TextEncoder().encode("1");
const GONE = new TextEncoder().encode("0");

/** The line of waiting puts of one queue, as one instance sees and joins it. */
export class PutLine {
  readonly #nc: NatsConnection;
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  /** The line's stream. */
  readonly stream: string;
  readonly #subject: string;
  /** This instance's name in its tickets, and the end of the subject it answers pings on. */
  readonly #self = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}`;
  /** Tickets of this instance's waiting puts. */
  readonly #mine = new Set<number>();
  /**
   * Those of them known first: tickets are only added behind, and a first ticket is removed
   * only by its put or when this instance does not answer for it, so one found first stays first.
   */
  readonly #front = new Set<number>();
  /** Tickets being taken: a ping about a ticket not yet known may be about one of them. */
  #joining = 0;
  #answering: Subscription | undefined;
  /** Owners of other instances' tickets, read once per ticket. */
  readonly #owners = new Map<number, string>();

  constructor(nc: NatsConnection, js: JetStreamClient, jsm: JetStreamManager, stream: string, subject: string) {
    this.#nc = nc;
    this.#js = js;
    this.#jsm = jsm;
    this.stream = stream;
    this.#subject = subject;
  }

  /** Takes a place at the end of the line: the ticket, or undefined when the line is full or JetStream failed (the put then waits without a place). */
  async join(): Promise<number | undefined> {
    this.#answer();
    this.#joining++;
    try {
      const msgID = `${this.#self}.${Math.random().toString(36).slice(2)}`;
      const until = Date.now() + JOIN_MS;
      for (;;) {
        try {
          const ack = await this.#js.publish(this.#subject, this.#self, { msgID, timeout: TRY_MS });
          this.#mine.add(ack.seq);
          return ack.seq;
        } catch (err) {
          // A resend carries the same id, so a ticket whose answer was lost is stored once.
          if (isApiAnswer(err) || isClosed(err) || Date.now() >= until) return undefined;
        }
      }
    } finally {
      this.#joining--;
    }
  }

  /** Leaves the line. A delete that does not land leaves a ticket the next put's ping removes. */
  leave(ticket: number): void {
    this.#mine.delete(ticket);
    this.#front.delete(ticket);
    this.#jsm.streams.deleteMessage(this.stream, ticket, false).catch(() => undefined);
  }

  /**
   * True when `ticket` is first in line (or was removed from it), removing first tickets
   * whose puts no longer wait.
   */
  async first(ticket: number): Promise<boolean> {
    if (this.#front.has(ticket)) return true;
    for (;;) {
      const { first_seq: head, messages } = (await this.#jsm.streams.info(this.stream)).state;
      if (messages === 0 || head >= ticket) {
        if (this.#mine.has(ticket)) this.#front.add(ticket);
        return true;
      }
      if (this.#mine.has(head) || (await this.#waits(head))) return false;
      await this.#jsm.streams.deleteMessage(this.stream, head, false).catch(() => undefined);
      this.#owners.delete(head);
    }
  }

  /** Whether the put of ticket `seq` still waits: its owner says so within PING_MS. */
  async #waits(seq: number): Promise<boolean> {
    let owner = this.#owners.get(seq);
    if (owner === undefined) {
      const stored = await this.#jsm.streams.getMessage(this.stream, { seq });
      // Gone since the line was read: it no longer holds anyone back.
      if (stored === null) return false;
      owner = stored.string();
      this.#owners.set(seq, owner);
      if (this.#owners.size > LINE_MAX) this.#owners.delete(this.#owners.keys().next().value!);
    }
    try {
      const answer = await this.#nc.request(`${this.#subject}.${owner}`, String(seq), { timeout: PING_MS });
      return answer.string() === "1";
    } catch {
      // No one answers (its instance is gone) or too late (it stands still).
      return false;
    }
  }

  /** Answers pings about this instance's tickets, from its first ticket on. */
  #answer(): void {
    if (this.#answering !== undefined) return;
    this.#answering = this.#nc.subscribe(`${this.#subject}.${this.#self}`, {
      callback: (_err, msg) => {
        const seq = Number(msg.string());
        msg.respond(this.#mine.has(seq) || this.#joining > 0 ? WAITS : GONE);
      },
    });
  }
}
