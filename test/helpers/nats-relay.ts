/**
 * A loopback relay in front of a real nats-server that reads the NATS protocol it carries,
 * so a test can lose one answer on purpose: `dropAnswerTo(prefix)` swallows the next reply
 * to a publish on a subject starting with `prefix` after the server has applied the publish, which is what a
 * client sees when a connection fails between the server's work and its answer;
 * `muteAfterDelivery(prefix)` lets the next message whose reply starts with `prefix` (a
 * JetStream delivery, `$JS.ACK.<stream>.`) reach its client and then carries nothing more
 * from that client, as if its process died holding the message; `muteAfterPublish(prefix)`
 * passes the next publish on a subject starting with `prefix` (an acknowledgement,
 * a getter's take, `$JS.API.STREAM.MSG.DELETE.<stream>`) and then carries nothing more from
 * its client, as if it died right after; `holdDelivery(prefix)` keeps the next such delivery,
 * and all that follows it to that client, until released, as if the client stood still
 * between JetStream's delivery and its own answer.
 */
import { connect, createServer, type Server, type Socket } from "node:net";

export interface NatsRelay {
  /** `nats://127.0.0.1:PORT` of the relay. */
  readonly url: string;
  /** Swallows the answer to the next publish on a subject starting with `prefix`; resolves once one was swallowed. */
  dropAnswerTo(prefix: string): Promise<void>;
  /** Mutes the client of the next delivery whose reply starts with `prefix`; resolves once it is delivered. */
  muteAfterDelivery(prefix: string): Promise<void>;
  /** Mutes the client of the next publish on a subject starting with `prefix`; resolves with the time it was passed on. */
  muteAfterPublish(prefix: string): Promise<number>;
  /** Holds the next delivery whose reply starts with `prefix`, and what follows it to that client, until `release()`. */
  holdDelivery(prefix: string): HeldDelivery;
  close(): Promise<void>;
}

export interface HeldDelivery {
  /** Resolves once a delivery is held (JetStream's ack wait runs from then). */
  readonly held: Promise<void>;
  /** Passes on what was held, and carries that client's traffic on as before. */
  release(): void;
}

const CRLF = Buffer.from("\r\n");

/**
 * Splits a NATS protocol byte stream into whole operations (a control line, with its
 * payload for PUB/HPUB/MSG/HMSG), handing each to `each`, which answers whether to pass it on.
 */
function operations(each: (line: string, whole: Buffer) => boolean, forward: (bytes: Buffer) => void): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  return (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    for (;;) {
      const end = pending.indexOf(CRLF);
      if (end < 0) return;
      const line = pending.subarray(0, end).toString("latin1");
      const op = line.split(" ", 1)[0]!.toUpperCase();
      let size = end + 2;
      if (op === "PUB" || op === "HPUB" || op === "MSG" || op === "HMSG") size += Number(line.trim().split(/\s+/).at(-1)) + 2;
      if (pending.length < size) return;
      const whole = pending.subarray(0, size);
      pending = pending.subarray(size);
      if (each(line, whole)) forward(Buffer.from(whole));
    }
  };
}

/** Starts a relay to the nats-server at `target` (nats://host:port). */
export async function startNatsRelay(target: string): Promise<NatsRelay> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<Socket>();
  const drops: { prefix: string; reply?: string; done: () => void }[] = [];
  const mutes: { prefix: string; done: () => void }[] = [];
  const publishMutes: { prefix: string; done: (at: number) => void }[] = [];
  const holds: { prefix: string; done: () => void; hold: (release: () => void) => void }[] = [];
  const server: Server = createServer((client) => {
    const upstream = connect(Number(port), hostname);
    sockets.add(client).add(upstream);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const closeBoth = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", closeBoth).on("close", closeBoth);
    upstream.on("error", closeBoth).on("close", closeBoth);
    let muted = false;
    /** Operations to the client kept back while a delivery is held. */
    let heldBack: Buffer[] | undefined;
    client.on("data", operations((line) => {
      if (muted) return false;
      const [op, subject, reply] = line.split(" ");
      const publishMute = op === "PUB" || op === "HPUB" ? publishMutes.findIndex((m) => subject?.startsWith(m.prefix) === true) : -1;
      if (publishMute >= 0) {
        muted = true;
        const { done } = publishMutes.splice(publishMute, 1)[0]!;
        setImmediate(() => done(Date.now()));
        return true;
      }
      const drop = drops.find((d) => d.reply === undefined && subject?.startsWith(d.prefix) === true);
      if (drop !== undefined && (op === "PUB" || op === "HPUB")) drop.reply = reply;
      return true;
    }, (bytes) => upstream.write(bytes)));
    upstream.on("data", operations((line, whole) => {
      if (heldBack !== undefined) {
        heldBack.push(Buffer.from(whole));
        return false;
      }
      const [op, subject] = line.split(" ");
      if (op !== "MSG" && op !== "HMSG") return true;
      const reply = line.split(" ")[3];
      const hold = holds.findIndex((h) => reply?.startsWith(h.prefix) === true);
      if (hold >= 0) {
        const kept: Buffer[] = [Buffer.from(whole)];
        heldBack = kept;
        const { done, hold: keep } = holds.splice(hold, 1)[0]!;
        keep(() => {
          heldBack = undefined;
          for (const bytes of kept) client.write(bytes);
        });
        done();
        return false;
      }
      const mute = mutes.findIndex((m) => reply?.startsWith(m.prefix) === true);
      if (mute >= 0) {
        muted = true;
        mutes.splice(mute, 1)[0]!.done();
        return true;
      }
      const at = drops.findIndex((d) => d.reply === subject);
      if (at < 0) return true;
      drops.splice(at, 1)[0]!.done();
      return false;
    }, (bytes) => client.write(bytes)));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the relay has no port");
  return {
    url: `nats://127.0.0.1:${address.port}`,
    dropAnswerTo: (prefix) => new Promise<void>((done) => drops.push({ prefix, done })),
    muteAfterDelivery: (prefix) => new Promise<void>((done) => mutes.push({ prefix, done })),
    muteAfterPublish: (prefix) => new Promise<number>((done) => publishMutes.push({ prefix, done })),
    holdDelivery: (prefix) => {
      let release: (() => void) | undefined;
      let released = false;
      const held = new Promise<void>((done) => holds.push({ prefix, done, hold: (r) => (released ? r() : (release = r)) }));
      return {
        held,
        release: () => {
          released = true;
          release?.();
        },
      };
    },
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
