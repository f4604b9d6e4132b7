import assert from "node:assert/strict";
import type { Socket } from "node:net";
import { describe, it } from "node:test";
import { RpcError } from "../../src/core/errors.js";
import { FrameReader } from "../../src/net/frame-reader.js";
import { FrameWriter, WriteBudget } from "../../src/net/framing.js";
import { SplitFrame } from "../../src/core/split-frame.js";
import { Prng } from "../fixtures/hostile/prng.js";

/** A 4-byte big-endian length prefix followed by `body`. */
function framed(body: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(4 + body.length);
  out.writeUInt32BE(body.length, 0);
  out.set(body, 4);
  return out;
}

function header(length: number): Buffer {
  const out = Buffer.allocUnsafe(4);
  out.writeUInt32BE(length, 0);
  return out;
}

/** A reader that records what it emits. */
function recordingReader(maxFrameBytes: number) {
  const frames: Buffer[] = [];
  const errors: RpcError[] = [];
  const reader = new FrameReader(
    maxFrameBytes,
    (buf, start, end) => frames.push(buf.subarray(start, end)),
    (e) => errors.push(e),
  );
  return { reader, frames, errors };
}

/** Splits `bytes` at random points into chunks of 1 byte up to the whole. */
function splitRandomly(rng: Prng, bytes: Buffer): Buffer[] {
  const chunks: Buffer[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    // Mostly small pieces, sometimes single bytes, sometimes everything left.
    const r = rng.next();
    const size = r < 0.2 ? 1 : r < 0.9 ? rng.int(1, 64) : bytes.length - pos;
    chunks.push(bytes.subarray(pos, pos + size));
    pos += size;
  }
  return chunks;
}

/** A socket stand-in that records writes, corks and uncorks, with a settable writableLength. */
class FakeSocket {
  readonly writes: Uint8Array[] = [];
  readonly events: string[] = [];
  writableLength = 0;
  /** Write callbacks not yet called: the kernel has not taken those bytes. */
  readonly unflushed: (() => void)[] = [];
  private closeListener: (() => void) | undefined;

  write(bytes: Uint8Array, done?: () => void): boolean {
    this.writes.push(bytes);
    this.events.push(`write ${bytes.length}`);
    if (done) this.unflushed.push(done);
    return true;
  }

  once(event: string, listener: () => void): this {
    if (event === "close") this.closeListener = listener;
    return this;
  }

  /** The kernel took every byte written so far. */
  drain(): void {
    for (const done of this.unflushed.splice(0)) done();
  }

  close(): void {
    this.closeListener?.();
  }

  cork(): void {
    this.events.push("cork");
  }

  uncork(): void {
    this.events.push("uncork");
  }

  asSocket(): Socket {
    return this as unknown as Socket;
  }

  /** Everything written, in order, as one buffer. */
  bytes(): Buffer {
    return Buffer.concat(this.writes);
  }
}

/** Resolves after the writer's flush, which runs on process.nextTick. */
function afterTick(): Promise<void> {
  return new Promise((resolve) => process.nextTick(resolve));
}

/** Parses a byte string of whole frames. */
function parseAll(bytes: Buffer): Buffer[] {
  const { reader, frames, errors } = recordingReader(0xffffffff);
  reader.push(bytes);
  assert.deepEqual(errors, []);
  assert.equal(reader.bufferedBytes, 0, "no partial frame left over");
  return frames;
}

/**
 * Feeds seeded streams of frames with the bodies `sizes` draws to a reader through `feed`;
 * every frame must arrive intact and in order, and `check` holds for each.
 */
function checkStreams(streams: number, sizes: (rng: Prng) => number[], feed: (reader: FrameReader, rng: Prng, stream: Buffer) => void, check?: (frame: Buffer) => void): void {
  for (let seed = 1; seed <= streams; seed++) {
    const rng = new Prng(seed);
    const bodies = sizes(rng).map((n) => rng.bytes(n));
    const stream = Buffer.concat(bodies.map(framed));
    const { reader, frames, errors } = recordingReader(1024 * 1024);
    feed(reader, rng, stream);
    assert.deepEqual(errors, [], `seed ${seed}`);
    assert.equal(frames.length, bodies.length, `seed ${seed}: frame count`);
    for (let i = 0; i < bodies.length; i++) {
      assert.ok(frames[i].equals(bodies[i]), `seed ${seed}: frame ${i}`);
      check?.(frames[i]);
    }
    assert.equal(reader.bufferedBytes, 0, `seed ${seed}: nothing left buffered`);
  }
}

describe("FrameReader", () => {
  it("frames split at random points arrive intact and in order (seeded, 500 streams)", () => {
    for (let seed = 1; seed <= 500; seed++) {
      const rng = new Prng(seed);
      const bodies: Buffer[] = [];
      const count = rng.int(1, 20);
      for (let i = 0; i < count; i++) {
        const r = rng.next();
        const size = r < 0.1 ? 0 : r < 0.8 ? rng.int(1, 200) : rng.int(200, 5000);
        bodies.push(rng.bytes(size));
      }
      const stream = Buffer.concat(bodies.map(framed));
      const { reader, frames, errors } = recordingReader(8192);
      const copies: Buffer[] = [];
      for (const chunk of splitRandomly(rng, stream)) {
        const before = frames.length;
        reader.push(chunk);
        for (let i = before; i < frames.length; i++) copies.push(Buffer.from(frames[i]));
      }
      assert.deepEqual(errors, [], `seed ${seed}`);
      assert.equal(frames.length, bodies.length, `seed ${seed}: frame count`);
      for (let i = 0; i < bodies.length; i++) {
        assert.ok(copies[i].equals(bodies[i]), `seed ${seed}: frame ${i} as emitted`);
        assert.ok(frames[i].equals(bodies[i]), `seed ${seed}: frame ${i} after later pushes`);
      }
      assert.equal(reader.bufferedBytes, 0, `seed ${seed}: nothing left buffered`);
    }
  });

  it("several frames in one chunk are emitted in order, as views of that chunk", () => {
    const bodies = [Buffer.from("first"), Buffer.from("second frame"), Buffer.from("3")];
    const chunk = Buffer.concat(bodies.map(framed));
    const { reader, frames } = recordingReader(1024);
    reader.push(chunk);
    assert.deepEqual(frames.map(String), ["first", "second frame", "3"]);
    for (const f of frames) assert.equal(f.buffer, chunk.buffer, "a view, not a copy");
  });

  it("a zero-length frame is emitted as an empty buffer, between its neighbours", () => {
    const { reader, frames } = recordingReader(1024);
    reader.push(Buffer.concat([framed(Buffer.from("a")), framed(Buffer.alloc(0)), framed(Buffer.from("b"))]));
    assert.deepEqual(frames.map(String), ["a", "", "b"]);
    reader.push(framed(Buffer.alloc(0)));
    assert.equal(frames.length, 4);
    assert.equal(frames[3].length, 0);
  });

  it("a header split across chunks is reassembled; the frame is emitted once its last byte arrives", () => {
    const body = Buffer.from("hello, world");
    const bytes = framed(body);
    const { reader, frames } = recordingReader(1024);
    reader.push(bytes.subarray(0, 1));
    reader.push(bytes.subarray(1, 3));
    assert.equal(reader.bufferedBytes, 3);
    reader.push(bytes.subarray(3, 4));
    assert.equal(frames.length, 0);
    reader.push(bytes.subarray(4, 10));
    assert.equal(frames.length, 0);
    assert.equal(reader.bufferedBytes, 10);
    reader.push(bytes.subarray(10));
    assert.deepEqual(frames.map(String), ["hello, world"]);
    assert.equal(reader.bufferedBytes, 0);
  });

  it("a frame of exactly maxFrameBytes is accepted", () => {
    const { reader, frames, errors } = recordingReader(100);
    reader.push(framed(Buffer.alloc(100, 7)));
    assert.deepEqual(errors, []);
    assert.equal(frames.length, 1);
    assert.equal(frames[0].length, 100);
  });

  it("a length above maxFrameBytes is reported once, naming both sizes, and nothing more is emitted", () => {
    const { reader, frames, errors } = recordingReader(100);
    reader.push(Buffer.concat([framed(Buffer.from("ok")), header(101), Buffer.alloc(101), framed(Buffer.from("after"))]));
    assert.deepEqual(frames.map(String), ["ok"], "frames before the bad header still count");
    assert.equal(errors.length, 1);
    assert.ok(RpcError.is(errors[0]));
    assert.equal(errors[0].code, "RESOURCE_EXHAUSTED");
    assert.match(errors[0].message, /\b101\b.*\b100\b/);
    assert.match(errors[0].message, /maxFrameBytes/);
    reader.push(framed(Buffer.from("later")));
    reader.push(header(1000));
    assert.equal(frames.length, 1);
    assert.equal(errors.length, 1);
    assert.equal(reader.bufferedBytes, 0, "nothing is kept after the failure");
  });

  it("a 4 GiB length prefix split across chunks is refused when its last header byte arrives, before any body", () => {
    const { reader, frames, errors } = recordingReader(1024 * 1024);
    const h = header(0xffffffff);
    reader.push(h.subarray(0, 2));
    assert.equal(errors.length, 0);
    reader.push(Buffer.concat([h.subarray(2), Buffer.alloc(16)]));
    assert.equal(frames.length, 0);
    assert.equal(errors.length, 1);
    assert.equal(errors[0].code, "RESOURCE_EXHAUSTED");
    assert.match(errors[0].message, /4294967295 B exceeds maxFrameBytes 1048576/);
    assert.equal(reader.bufferedBytes, 0);
  });

  it("while a frame is incomplete the reader holds only its bytes, not a buffer of the declared size", () => {
    const { reader, frames } = recordingReader(64 * 1024 * 1024);
    reader.push(Buffer.concat([header(64 * 1024 * 1024), Buffer.alloc(10)]));
    assert.equal(reader.bufferedBytes, 14);
    assert.equal(frames.length, 0);
  });

  it("large frames split at random points among small ones arrive intact and in order (seeded, 40 streams)", () => {
    checkStreams(
      40,
      (rng) => Array.from({ length: rng.int(2, 6) }, () => (rng.next() < 0.5 ? rng.int(0, 300) : rng.int(64 * 1024, 300 * 1024))),
      (reader, rng, stream) => {
        for (let pos = 0; pos < stream.length; ) {
          // Socket-sized reads, sometimes tiny ones, so frames start and end anywhere in a chunk.
          const size = rng.next() < 0.2 ? rng.int(1, 8) : rng.int(1, 80 * 1024);
          reader.push(stream.subarray(pos, pos + size));
          pos += size;
        }
      },
    );
  });

  it("a large frame's own buffer is taken once an eighth of its body has arrived, not at its header", () => {
    const size = 1024 * 1024;
    const bytes = framed(Buffer.alloc(size, 3));
    const { reader, frames } = recordingReader(size);
    reader.push(bytes.subarray(0, 4 * 1024));
    assert.equal(reader.bufferedBytes, 4 * 1024, "only what arrived is held while under a 64th");
    reader.push(bytes.subarray(4 * 1024, 100 * 1024));
    reader.push(bytes.subarray(100 * 1024, 120 * 1024));
    assert.equal(reader.bufferedBytes, size / 8, "under an eighth, a buffer for the first eighth (8x what arrived at most)");
    reader.push(bytes.subarray(120 * 1024, 140 * 1024));
    assert.equal(reader.bufferedBytes, size, "past an eighth the frame's own buffer holds it");
    reader.push(bytes.subarray(140 * 1024));
    assert.equal(frames.length, 1);
    assert.ok(frames[0].equals(Buffer.alloc(size, 3)));
    assert.equal(frames[0].buffer.byteLength, size, "the frame pins its own bytes, no chunk and no neighbour");
    assert.equal(reader.bufferedBytes, 0);
  });

  it("a peer that announces a large frame holds at most eight times what it sent", () => {
    const size = 8 * 1024 * 1024;
    // The header announces 8 MiB; only 64 KiB of the body ever comes.
    const bytes = framed(Buffer.alloc(size, 5)).subarray(0, 4 + 64 * 1024);
    const { reader, frames } = recordingReader(size);
    for (let sent = 0; sent < bytes.length; ) {
      const step = Math.min(1000, bytes.length - sent);
      reader.push(bytes.subarray(sent, sent + step));
      sent += step;
      assert.ok(reader.bufferedBytes <= 8 * sent, `${reader.bufferedBytes} B held after ${sent} B sent`);
    }
    assert.equal(frames.length, 0);
  });

  it("once a large frame's first bytes are held, the next read has room in the frame's own buffer", () => {
    const size = 1024 * 1024;
    const bytes = framed(Buffer.alloc(size, 9));
    const { reader, frames } = recordingReader(size);
    const readBuffer = Buffer.alloc(64 * 1024);
    bytes.copy(readBuffer, 0, 0, readBuffer.length);
    reader.push(readBuffer, true);
    readBuffer.fill(0xee);
    let sent = readBuffer.length;
    while (sent < bytes.length) {
      const room = reader.room();
      assert.ok(room && room.length > 0, `room in the frame's buffer after ${sent} B`);
      const n = Math.min(room.length, 64 * 1024, bytes.length - sent);
      bytes.copy(room, 0, sent, sent + n);
      reader.push(room.subarray(0, n));
      sent += n;
    }
    assert.equal(frames.length, 1);
    assert.ok(frames[0].equals(Buffer.alloc(size, 9)), "the frame is intact");
    assert.equal(frames[0].buffer.byteLength, size, "the frame pins its own bytes only");
  });

  it("stop() while a large frame is being filled drops its buffer and emits nothing", () => {
    const bytes = framed(Buffer.alloc(256 * 1024, 1));
    const { reader, frames } = recordingReader(1024 * 1024);
    reader.push(bytes.subarray(0, 200 * 1024));
    reader.stop();
    assert.equal(reader.bufferedBytes, 0);
    reader.push(bytes.subarray(200 * 1024));
    assert.equal(frames.length, 0);
  });

  it("chunks pushed as reused (a socket's one read buffer, overwritten after each push) yield frames that stay intact (seeded, 200 streams)", () => {
    const readBuffer = Buffer.alloc(64 * 1024);
    checkStreams(
      200,
      (rng) =>
        Array.from({ length: rng.int(1, 12) }, () => {
          const r = rng.next();
          return r < 0.1 ? 0 : r < 0.7 ? rng.int(1, 300) : r < 0.9 ? rng.int(4000, 9000) : rng.int(64 * 1024, 200 * 1024);
        }),
      (reader, rng, stream) => {
        for (let pos = 0; pos < stream.length; ) {
          const size = Math.min(rng.next() < 0.3 ? rng.int(1, 16) : rng.int(1, readBuffer.length), stream.length - pos);
          stream.copy(readBuffer, 0, pos, pos + size);
          reader.push(readBuffer.subarray(0, size), true);
          readBuffer.fill(0xee); // the next read lands here
          pos += size;
        }
      },
      (frame) => assert.notEqual(frame.buffer, readBuffer.buffer, "a frame is not a view of the read buffer"),
    );
  });

  it("reused chunks still meet maxFrameBytes: whole frames before a header over the limit are emitted as copies, then the refusal", () => {
    const { reader, frames, errors } = recordingReader(100);
    const chunk = Buffer.concat([framed(Buffer.from("ok")), framed(Buffer.from("fine")), header(101), Buffer.alloc(101)]);
    reader.push(chunk, true);
    chunk.fill(0);
    assert.deepEqual(frames.map(String), ["ok", "fine"]);
    assert.equal(errors.length, 1);
    assert.match(errors[0].message, /frame of 101 B exceeds maxFrameBytes 100/);
  });

  it("stop() drops a partial frame and nothing is emitted afterwards", () => {
    const { reader, frames, errors } = recordingReader(1024);
    const bytes = framed(Buffer.from("partial"));
    reader.push(bytes.subarray(0, 6));
    reader.stop();
    assert.equal(reader.bufferedBytes, 0);
    reader.push(bytes.subarray(6));
    reader.push(framed(Buffer.from("whole")));
    assert.equal(frames.length, 0);
    assert.equal(errors.length, 0);
  });

  it("a frame handler that stops the reader ends emission within the same chunk", () => {
    const frames: string[] = [];
    const reader: FrameReader = new FrameReader(
      1024,
      (buf, start, end) => {
        frames.push(String(buf.subarray(start, end)));
        reader.stop();
      },
      () => assert.fail("no error expected"),
    );
    reader.push(Buffer.concat([framed(Buffer.from("one")), framed(Buffer.from("two"))]));
    assert.deepEqual(frames, ["one"]);
  });
});

describe("FrameWriter", () => {
  it("100 small frames written in one tick leave in a single socket.write, each with its length prefix", async () => {
    const socket = new FakeSocket();
    const writer = new FrameWriter(socket.asSocket(), 1024 * 1024, () => assert.fail("no overflow expected"));
    const bodies = Array.from({ length: 100 }, (_, i) => Buffer.from(`frame ${i}`));
    for (const b of bodies) writer.write(b);
    assert.equal(socket.writes.length, 0, "nothing is written before the tick ends");
    await afterTick();
    assert.equal(socket.writes.length, 1);
    assert.deepEqual(parseAll(socket.bytes()).map(String), bodies.map(String));
  });

  it("frames written in a later tick go out in a later write", async () => {
    const socket = new FakeSocket();
    const writer = new FrameWriter(socket.asSocket(), 1024 * 1024, () => assert.fail("no overflow expected"));
    writer.write(Buffer.from("a"));
    await afterTick();
    writer.write(Buffer.from("b"));
    writer.write(Buffer.from("c"));
    await afterTick();
    assert.equal(socket.writes.length, 2);
    assert.deepEqual(parseAll(socket.bytes()).map(String), ["a", "b", "c"]);
  });

  it("a frame of 64 KiB or more is written as the caller's buffer, not a copy, between cork and uncork", async () => {
    const socket = new FakeSocket();
    const writer = new FrameWriter(socket.asSocket(), 16 * 1024 * 1024, () => assert.fail("no overflow expected"));
    const big = new Uint8Array(64 * 1024).fill(9);
    const bigger = new Uint8Array(1024 * 1024).fill(8);
    writer.write(Buffer.from("before"));
    writer.write(big);
    writer.write(Buffer.from("between"));
    writer.write(bigger);
    writer.write(Buffer.from("after"));
    await afterTick();
    assert.ok(socket.writes.includes(big), "the 64 KiB frame is written as given");
    assert.ok(socket.writes.includes(bigger), "the 1 MiB frame is written as given");
    assert.equal(socket.events[0], "cork");
    assert.equal(socket.events.at(-1), "uncork");
    assert.equal(socket.events.filter((e) => e === "cork").length, 1);
    const frames = parseAll(socket.bytes());
    assert.deepEqual(
      frames.map((f) => f.length),
      [6, 64 * 1024, 7, 1024 * 1024, 5],
    );
    assert.equal(String(frames[0]), "before");
    assert.equal(String(frames[2]), "between");
    assert.equal(String(frames[4]), "after");
  });

  it("a split frame leaves as one frame between small ones: its payloads are the caller's arrays, all under one cork, charged at its whole size", async () => {
    const budget = new WriteBudget(16 * 1024 * 1024);
    const socket = new FakeSocket();
    const writer = new FrameWriter(socket.asSocket(), 16 * 1024 * 1024, () => assert.fail("no overflow expected"), budget);
    const payloadA = new Uint8Array(1024 * 1024).fill(1);
    const payloadB = new Uint8Array(64 * 1024).fill(2);
    const pieces = [Buffer.from("head"), payloadA, Buffer.from("mid"), payloadB, new Uint8Array(0)];
    const size = pieces.reduce((n, p) => n + p.length, 0);
    writer.write(Buffer.from("before"));
    writer.write(new SplitFrame(pieces, size));
    writer.write(Buffer.from("after"));
    assert.equal(budget.used, 4 + 6 + 4 + size + 4 + 5);
    await afterTick();
    assert.ok(socket.writes.includes(payloadA) && socket.writes.includes(payloadB), "payloads are written as given");
    assert.deepEqual([socket.events[0], socket.events.at(-1)], ["cork", "uncork"]);
    assert.equal(socket.events.filter((e) => e === "cork").length, 1);
    const frames = parseAll(socket.bytes());
    assert.deepEqual(frames.map((f) => f.length), [6, size, 5]);
    assert.ok(frames[1]!.equals(Buffer.concat(pieces)));
    socket.drain();
    assert.equal(budget.used, 0);
  });

  it("a split frame whose payload is a window on a buffer twice its size or more is queued as a copy, so what is held is what is charged", async () => {
    const socket = new FakeSocket();
    const writer = new FrameWriter(socket.asSocket(), 16 * 1024 * 1024, () => assert.fail("no overflow expected"));
    const window = new Uint8Array(4 * 1024 * 1024).subarray(0, 1024 * 1024).fill(3);
    writer.write(new SplitFrame([Buffer.from("h"), window, Buffer.from("t")], 2 + window.length));
    await afterTick();
    assert.ok(!socket.writes.includes(window));
    assert.ok(socket.writes.every((w) => w.buffer.byteLength < 2 * 1024 * 1024));
    assert.deepEqual(parseAll(socket.bytes())[0], Buffer.concat([Buffer.from("h"), window, Buffer.from("t")]));
  });

  it("a split frame over maxQueuedBytes is refused whole, naming its full size", () => {
    const socket = new FakeSocket();
    const overflows: RpcError[] = [];
    const writer = new FrameWriter(socket.asSocket(), 1024 * 1024, (e) => overflows.push(e));
    writer.write(new SplitFrame([Buffer.from("h"), new Uint8Array(1024 * 1024)], 1 + 1024 * 1024));
    assert.equal(overflows.length, 1);
    assert.match(overflows[0]!.message, /1048581 B exceed maxWriteBufferBytes 1048576/);
    assert.equal(writer.pendingBytes, 0);
  });

  it("a writer whose peer does not read reports RESOURCE_EXHAUSTED once, naming both sizes, and writes nothing", async () => {
    const socket = new FakeSocket();
    socket.writableLength = 1000; // bytes the peer has not taken yet
    const overflows: RpcError[] = [];
    const writer = new FrameWriter(socket.asSocket(), 1024, (e) => overflows.push(e));
    writer.write(new Uint8Array(100));
    await afterTick();
    assert.equal(overflows.length, 1);
    assert.ok(RpcError.is(overflows[0]));
    assert.equal(overflows[0].code, "RESOURCE_EXHAUSTED");
    assert.match(overflows[0].message, /^peer is not reading: 1000 B already queued for this peer \+ 104 B exceed maxWriteBufferBytes 1024$/);
    assert.equal(socket.writes.length, 0);
    writer.write(new Uint8Array(1));
    await afterTick();
    assert.equal(overflows.length, 1, "reported once");
    assert.equal(socket.writes.length, 0, "nothing is written after the overflow");
  });

  it("queued bytes up to maxQueuedBytes are written", async () => {
    const socket = new FakeSocket();
    socket.writableLength = 920;
    const writer = new FrameWriter(socket.asSocket(), 1024, () => assert.fail("no overflow expected"));
    writer.write(new Uint8Array(100)); // 920 + 4 + 100 = 1024
    await afterTick();
    assert.equal(socket.writes.length, 1);
  });

  it("writeRaw sends the frames queued before it first, then its bytes", () => {
    const socket = new FakeSocket();
    const writer = new FrameWriter(socket.asSocket(), 1024, () => assert.fail("no overflow expected"));
    writer.write(Buffer.from("queued"));
    writer.writeRaw(Buffer.from("RAW"));
    assert.equal(socket.writes.length, 2);
    assert.ok(Buffer.from(socket.writes[0]).equals(framed(Buffer.from("queued"))));
    assert.equal(String(socket.writes[1]), "RAW");
  });

  it("close() drops queued frames and later writes are ignored", async () => {
    const socket = new FakeSocket();
    const writer = new FrameWriter(socket.asSocket(), 1024, () => assert.fail("no overflow expected"));
    writer.write(Buffer.from("dropped"));
    writer.close();
    writer.write(Buffer.from("ignored"));
    await afterTick();
    assert.equal(socket.writes.length, 0);
  });

  it("writers sharing a WriteBudget are refused past the server's cap, naming it, and get it back as the kernel takes their bytes or their socket closes", async () => {
    const budget = new WriteBudget(2048);
    const a = new FakeSocket();
    const b = new FakeSocket();
    const writerA = new FrameWriter(a.asSocket(), 1 << 20, () => assert.fail("no overflow on a"), budget);
    const writerB = new FrameWriter(b.asSocket(), 1 << 20, () => assert.fail("no overflow on b"), budget);
    writerA.write(new Uint8Array(1500));
    assert.equal(budget.used, 1504);
    assert.equal(writerB.overLimit(1000), "1504 B already queued for all peers + 1004 B exceed maxServerWriteBufferBytes 2048");
    assert.equal(writerB.overLimit(500), undefined);
    await afterTick();
    assert.equal(budget.used, 1504, "written but not yet taken by the kernel");
    a.drain();
    assert.equal(budget.used, 0);
    writerB.write(new Uint8Array(1000));
    await afterTick();
    b.close();
    assert.equal(budget.used, 0, "a closed socket gives back what it held");
    b.drain();
    assert.equal(budget.used, 0, "and is not credited twice");
  });
});
