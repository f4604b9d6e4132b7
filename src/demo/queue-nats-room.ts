/**
 * How a put waiting on the demo's full JetStream queue hears that a getter made room: every
 * getter takes its item by a delete request to JetStream (queue-nats-take.ts), and core NATS
 * hands a copy of that request to any subscriber of its subject, so an instance with waiting
 * puts subscribes there (and to the deletes of the line's tickets, which move the next
 * waiting put to the front: queue-nats-line.ts). The copy comes from the server, not from the getter, so room made
 * by an instance cut off right after its delete is still heard. A copy is a core NATS message
 * (lost across a reconnect), so each waiting put also tries again every ROOM_RETRY_MS.
 */
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { TIMED_OUT, Waiters } from "../pymanager/shared/waiters.js";

/** How long a putter waiting for room waits for a notice before it tries again anyway. */
export const ROOM_RETRY_MS = 5_000;
/**
 * How long an instance keeps listening after its last waiting put went in: a queue kept
 * full has puts waiting again soon, and subscribing anew each time cost the putter's
 * instance about 0.5 ms of CPU per put (measured).
 */
const LISTEN_LINGER_MS = 2_000;
/**
 * The pause before a put woken by a notice tries once more when refused: the copy of a
 * delete can reach this instance a moment before JetStream has applied the delete.
 */
export const SETTLE_MS = 20;

/** The waiting puts of one instance and the notices of room they wait for. */
export class RoomNotices {
  readonly #nc: NatsConnection;
  readonly #subjects: readonly string[];
  readonly #room = new Waiters<undefined, true>();
  /** Notices heard so far: a put refused while one arrived tries again at once. */
  #heard = 0;
  /** Puts waiting; notices are heard only while there are any. */
  #waiting = 0;
  #subscriptions: Subscription[] = [];
  /** Settles once the server knows this instance listens. */
  #listening: Promise<void> | undefined;
  #lingering: ReturnType<typeof setTimeout> | undefined;

  /** `subjects`: the delete requests to hear. */
  constructor(nc: NatsConnection, subjects: readonly string[]) {
    this.#nc = nc;
    this.#subjects = subjects;
  }

  /** Notices heard so far. */
  get heard(): number {
    return this.#heard;
  }

  /** One more put waits; settles once the server knows this instance listens (room made before would go unheard). */
  begin(): Promise<void> {
    this.#waiting++;
    clearTimeout(this.#lingering);
    if (this.#listening !== undefined) return this.#listening;
    try {
      const callback = (): void => {
        this.#heard++;
        this.#room.handAll(true);
      };
      this.#subscriptions = this.#subjects.map((subject) => this.#nc.subscribe(subject, { callback }));
      this.#listening = this.#nc.flush().catch(() => undefined);
    } catch {
      // The connection is closing: ROOM_RETRY_MS still wakes each put.
      this.#listening = Promise.resolve();
    }
    return this.#listening;
  }

  /** A put stopped waiting (it went in, gave up or failed). */
  end(): void {
    if (--this.#waiting > 0) return;
    this.#lingering = setTimeout(() => {
      for (const subscription of this.#subscriptions) subscription.unsubscribe();
      this.#subscriptions = [];
      this.#listening = undefined;
    }, LISTEN_LINGER_MS);
    this.#lingering.unref();
  }

  /** Waits for the next notice, at most `ms`: true when one came. Rejects when `signal` aborts. */
  async next(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
    return (await this.#room.wait(undefined, ms, signal)) !== TIMED_OUT;
  }
}
