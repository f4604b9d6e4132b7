/**
 * How a getter of the demo's JetStream queue makes an item its own: it acknowledges the
 * delivery, which removes the item from the work-queue stream, and answers the item only
 * once JetStream answered the acknowledgement.
 */
import type { JsMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { isClosed } from "./kv-cas.js";

/**
 * How long an item delivered to a getter stays its own before JetStream hands it to another.
 * A getter holds an item only from its delivery to its acknowledgement, sent at once (one
 * round trip), so this bounds how long an item delivered to an instance that died stays out
 * of reach. A live instance that stands still longer than this between the two would see its
 * item handed again (twice got); 5 s is far past any round trip and any stall measured here.
 */
export const ACK_WAIT_MS = 5_000;
/** How long a getter waits for its acknowledgement's answer before sending it again. */
const ACK_TRY_MS = 1_000;
/** The part of the ack wait a getter leaves unused, for the time the delivery took to reach it. */
const ACK_MARGIN_MS = 1_500;
const ACK = new TextEncoder().encode("+ACK");

/**
 * Acknowledges `msg` until JetStream answers. An acknowledgement is answered whether it
 * removed the item or a lost earlier one did, so one that goes unanswered is sent again, but
 * only while the item is surely still this getter's: past the ack wait JetStream may have
 * handed it to another getter, whose item a late acknowledgement would take. A getter that
 * gives up hands the item back (`nak`), which changes nothing if an acknowledgement landed.
 * @throws the last failure when no answer came in time.
 */
export async function confirmTaken(nc: NatsConnection, msg: JsMsg): Promise<void> {
  const until = Date.now() + ACK_WAIT_MS - ACK_MARGIN_MS;
  // The acknowledgement subject: JsMsg's implementation has it; its interface does not say so.
  const reply = (msg as JsMsg & { reply?: string }).reply;
  if (reply === undefined) {
    await msg.ackAck();
    return;
  }
  for (;;) {
    try {
      await nc.request(reply, ACK, { timeout: Math.max(1, Math.min(ACK_TRY_MS, until - Date.now())) });
      return;
    } catch (err) {
      if (Date.now() >= until || isClosed(err)) {
        try {
          msg.nak();
        } catch {
          // A closed connection: the ack wait hands the item back instead.
        }
        throw err;
      }
    }
  }
}
