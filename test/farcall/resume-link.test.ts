// The numbering under a resumable session: what is kept, acknowledged, resent and refused.
// The link is driven directly, with recording transports and a stand-in for its Peer.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RpcError } from "../../src/core/errors.js";
import { silentLogger } from "../../src/core/logger.js";
import type { FrameSink } from "../../src/core/peer-options.js";
import type { Peer } from "../../src/core/peer.js";
import { ackFrame, ResumableLink } from "../../src/farcall/resume-link.js";

/** A transport that records what it is given. */
function recorder(): FrameSink & { frames: number[][]; closed: boolean } {
  const sink = {
    frames: [] as number[][],
    closed: false,
    send(frame: Uint8Array) {
      sink.frames.push([...frame]);
    },
    close() {
      sink.closed = true;
    },
  };
  return sink;
}

/** A link over `transport` with a Peer stand-in that records what it receives and why it closed. */
function linkOver(transport: FrameSink, bufferFrames = 1000) {
  const received: number[][] = [];
  let closedWith: RpcError | undefined;
  const link = new ResumableLink(transport, { windowMs: 10_000, bufferBytes: 1 << 20, bufferFrames }, silentLogger, "test peer");
  link.peer = {
    receive: (frame: Uint8Array, start: number, end: number) => void received.push([...frame.subarray(start, end)]),
    close: (reason: RpcError) => {
      closedWith ??= reason;
      link.close();
    },
    liveness: { stop() {}, start() {} },
  } as unknown as Peer;
  return { link, received, closed: () => closedWith };
}

/** Message `n` as the test sends it: a MessagePack array [0, n] (a CALL's first two fields). */
const message = (n: number) => new Uint8Array([0x92, 0x00, n]);

describe("a resumable link", () => {
  it("keeps every message until an ACK counts it, and a resumption resends exactly the unacknowledged ones, in order", () => {
    const first = recorder();
    const { link } = linkOver(first);
    for (let i = 0; i < 5; i++) link.send(message(i));
    const ack = ackFrame(3);
    link.receive(ack, 0, ack.length);
    link.detach(first, { code: "UNAVAILABLE", message: "cut" } as RpcError);
    assert.ok(link.isDetached);
    link.send(message(5)); // while detached: kept, sent nowhere
    assert.equal(first.frames.length, 5);
    const second = recorder();
    assert.equal(link.resumeError(3), undefined);
    link.attach(second, 3);
    assert.deepEqual(second.frames.slice(0, 3), [[...message(3)], [...message(4)], [...message(5)]]);
    assert.deepEqual(second.frames[3], [...ackFrame(0)], "then it says how many it received itself");
    assert.ok(!link.isDetached);
  });

  it("keeps a frame sent while detached as an exact copy, not a view of the codec's shared buffer", () => {
    const first = recorder();
    const { link } = linkOver(first);
    link.send(message(0)); // kept as the view it came as: the connection is up
    const shared = Buffer.alloc(4096);
    shared.set(message(1), 100);
    const view = shared.subarray(100, 103);
    link.detach(first, { code: "UNAVAILABLE", message: "cut" } as RpcError);
    link.send(view);
    shared.fill(0xff); // the codec packs the next messages over the same memory
    const second = recorder();
    link.attach(second, 0);
    assert.deepEqual(second.frames.slice(0, 2), [[...message(0)], [...message(1)]]);
  });

  it("refuses a resumption from a count it already dropped, or past what it sent", () => {
    const { link } = linkOver(recorder());
    for (let i = 0; i < 5; i++) link.send(message(i));
    const ack = ackFrame(3);
    link.receive(ack, 0, ack.length);
    assert.match(link.resumeError(1)!, /from 1 to 3 were acknowledged and dropped/);
    assert.match(link.resumeError(6)!, /claims 6 messages received of the 5 sent/);
  });

  it("acknowledges every 64 messages it receives, with the cumulative count", () => {
    const transport = recorder();
    const { link, received } = linkOver(transport);
    for (let i = 0; i < 64; i++) link.receive(message(i), 0, 3);
    assert.equal(received.length, 64);
    assert.deepEqual(transport.frames, [[...ackFrame(64)]]);
    link.close();
  });

  it("ends the session with INVALID_REQUEST when an ACK counts more messages than were sent", () => {
    const { link, closed } = linkOver(recorder());
    link.send(message(0));
    const ack = ackFrame(2);
    link.receive(ack, 0, ack.length);
    assert.equal(closed()?.code, "INVALID_REQUEST");
    assert.match(closed()!.message, /acknowledged 2 messages of the 1 sent/);
  });

  it("past resumeBufferFrames while connected it stops keeping messages, and the next drop ends the session", () => {
    const transport = recorder();
    const { link, closed } = linkOver(transport, 3);
    for (let i = 0; i < 4; i++) link.send(message(i));
    assert.equal(transport.frames.length, 4, "the connection still carries everything");
    link.detach(transport, { code: "UNAVAILABLE", message: "cut" } as RpcError);
    assert.equal(closed()?.code, "UNAVAILABLE");
    assert.match(closed()!.message, /cut; the session could not wait for its resumption: 4 unacknowledged messages exceed resumeBufferFrames 3/);
  });

  it("a close on purpose tells the other side, which ends its session instead of waiting", () => {
    const transport = recorder();
    const { link } = linkOver(transport);
    link.close();
    assert.deepEqual(transport.frames, [[0x91, 0x0c]]);
    const other = linkOver(recorder());
    other.link.receive(new Uint8Array(transport.frames[0]!), 0, 2);
    assert.match(other.closed()!.message, /test peer ended the session/);
  });
});
