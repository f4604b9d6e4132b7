/**
 * How a getter of the demo's JetStream queue makes a delivered item its own, exactly once
 * however long it stood still: it deletes the item's stream sequence, and hands the item out
 * only when that delete succeeded.
 *
 * An acknowledgement cannot decide it. A delivery that outlives the ack wait is delivered
 * again to another getter, and nats-server (2.9) answers the first getter's late
 * acknowledgement as it answers the second's: both would hand the item out
 * (test/demo/jetstream-redelivery.test.ts). A delete of one sequence succeeds once; every
 * later one is refused "no message found". For the shared consumer a deleted item counts as
 * acknowledged (never delivered again), and it costs one round trip, as the acknowledgement did.
 */
import type { JsMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { isClosed } from "./kv-cas.js";

/**
 * How long an item delivered to a getter stays its own before JetStream delivers it to
 * another. It bounds how long an item delivered to an instance that died stays out of reach;
 * a getter that stands still longer loses the item to the next getter, never shares it.
 */
export const ACK_WAIT_MS = 5_000;
/** How long a getter waits for its delete's answer before sending it again. */
const TRY_MS = 1_000;
/** The part of the ack wait a getter leaves unused, for the time the delivery took to reach it. */
const MARGIN_MS = 1_500;
/** JetStream's "no message found": the sequence was deleted (taken) already. */
const NO_MESSAGE = 10057;
const ENCODER = new TextEncoder();

/** The subject a getter's delete is sent on: an instance with waiting puts listens to it, as each delete makes room. */
export function takeSubject(stream: string): string {
  return `$JS.API.STREAM.MSG.DELETE.${stream}`;
}

interface DeleteAnswer {
  success?: boolean;
  error?: { err_code?: number; description?: string };
}

/**
 * Takes the item `msg` delivered: true when it is this getter's, false when another getter
 * took it (this delivery outlived the ack wait). A delete whose answer does not come is sent
 * again; a refusal of a resend proves the first landed only while no other getter can have
 * been handed the item (the ack wait less MARGIN_MS from its receipt), so past that the
 * getter hands the item back (`nak`, nothing if a delete landed) and fails.
 * @throws the last failure when no answer that decides came in time.
 */
export async function takeDelivered(nc: NatsConnection, stream: string, msg: JsMsg): Promise<boolean> {
  const until = Date.now() + ACK_WAIT_MS - MARGIN_MS;
  const body = ENCODER.encode(JSON.stringify({ seq: msg.info.streamSequence, no_erase: true }));
  let resent = false;
  for (;;) {
    let answer: DeleteAnswer;
    try {
      answer = (await nc.request(takeSubject(stream), body, { timeout: Math.max(1, Math.min(TRY_MS, until - Date.now())) })).json<DeleteAnswer>();
    } catch (err) {
      if (Date.now() >= until || isClosed(err)) throw handBack(msg, err);
      resent = true;
      continue;
    }
    if (answer.success === true) return true;
    if (answer.error?.err_code !== NO_MESSAGE) throw handBack(msg, new Error(`JetStream refused the delete: ${answer.error?.description ?? "no reason given"}`));
    if (!resent) return false;
    if (Date.now() < until) return true;
    throw handBack(msg, new Error(`no answer to the delete of item ${msg.info.streamSequence} within ${ACK_WAIT_MS - MARGIN_MS} ms, and another getter may have it now`));
  }
}

function handBack(msg: JsMsg, err: unknown): unknown {
  try {
    msg.nak();
  } catch {
    // A closed connection: the ack wait hands the item back instead.
  }
  return err;
}
