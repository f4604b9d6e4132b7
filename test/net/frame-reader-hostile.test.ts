// FrameReader read by a hostile peer: seeded streams of frames at the sizes where its buffers change (64 KiB,
// the 64th and the eighth of a frame, maxFrameBytes and one more) cut at random and at exactly those offsets,
// fed straight to it and over real tcp:// and unix:// sockets on both the accepted (readAccepted) and the dialed
// (SocketInput) path. Every frame must come out byte-exact and in order, no view handed out may change later,
// and no allocation made while reading may exceed 8x what arrived of a frame (or the bytes that arrived).
// FRAME_FUZZ_SEED=<n> replays a run; every failure names its seed.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { RpcError } from "../../src/core/errors.js";
import { readAccepted } from "../../src/net/accepted-input.js";
import { parseAddress } from "../../src/net/address.js";
import { FrameReader } from "../../src/net/frame-reader.js";
import { SocketInput } from "../../src/net/socket-input.js";
import { dialStream, listenStream, type StreamListener } from "../../src/net/tcp.js";
import { Prng } from "../fixtures/hostile/prng.js";
import { until, within } from "../helpers/bounded.js";

const MAX = 2 * 1024 * 1024;
const K64 = 64 * 1024;
const BASE_SEED = Number(process.env.FRAME_FUZZ_SEED ?? 2311);
const LOOP_MS = 15_000; // time cap of each seeded loop; its count is the other bound

// Every allocation the reader makes through Buffer's allocators while a push runs.
const allocations: number[] = [];
let recording = false;
const originals = { alloc: Buffer.alloc, allocUnsafe: Buffer.allocUnsafe, allocUnsafeSlow: Buffer.allocUnsafeSlow };
before(() => {
  for (const name of ["alloc", "allocUnsafe", "allocUnsafeSlow"] as const) {
    const original = originals[name] as (size: number, ...rest: unknown[]) => Buffer;
    (Buffer as unknown as Record<string, unknown>)[name] = (size: number, ...rest: unknown[]) => {
      if (recording) allocations.push(size);
      return original.call(Buffer, size, ...rest);
    };
  }
});
after(() => Object.assign(Buffer, originals));

/** Where a frame sits in its stream; `over` maxFrameBytes, it must be refused at its header. */
type Frame = { headerStart: number; bodyStart: number; bodyEnd: number; body: Buffer; over: boolean };

/** Distinct, quickly made bytes for frame `i` of stream `seed`. */
function body(length: number, seed: number, i: number): Buffer {
  const out = originals.allocUnsafe(length);
  let x = (seed * 7919 + i * 104729) | 0;
  for (let j = 0; j < length; j++) {
    if ((j & 3) === 0) x = (Math.imul(x, 1664525) + 1013904223) | 0;
    out[j] = x >>> ((j & 3) * 8);
  }
  return out;
}

/** A stream of `sizes` (a size over MAX ends it: its header and part of its body). */
function stream(sizes: number[], seed: number): { bytes: Buffer; frames: Frame[]; seed: number } {
  const parts: Buffer[] = [];
  const frames: Frame[] = [];
  let pos = 0;
  sizes.forEach((size, i) => {
    const header = originals.alloc(4);
    header.writeUInt32BE(size);
    const over = size > MAX;
    const b = body(over ? 1000 : size, seed, i);
    frames.push({ headerStart: pos, bodyStart: pos + 4, bodyEnd: pos + 4 + size, body: b, over });
    parts.push(header, b);
    pos += 4 + b.length;
  });
  return { bytes: Buffer.concat(parts), frames, seed };
}

/** Frame sizes drawn around the reader's thresholds. */
function sizes(rng: Prng): number[] {
  const out: number[] = [];
  let total = 0;
  for (let n = rng.int(1, 12); n > 0 && total < 6 * 1024 * 1024; n--) {
    const r = rng.next();
    const size = r < 0.25 ? rng.int(0, 300) : r < 0.5 ? K64 + rng.int(-8, 8) : r < 0.6 ? MAX - rng.int(0, 1) : r < 0.85 ? rng.int(K64, MAX) : rng.int(300, K64);
    out.push(size);
    total += size;
  }
  if (rng.next() < 0.2) out.push(MAX + 1);
  return out;
}

/** Offsets where the reader changes its buffers: inside the header, the 64th, the eighth, the end. */
function edges(frames: Frame[]): number[] {
  const out: number[] = [];
  for (const f of frames) {
    const [len, eighth] = [f.bodyEnd - f.bodyStart, Math.ceil((f.bodyEnd - f.bodyStart) / 8)];
    out.push(f.headerStart + 1, f.headerStart + 2, f.headerStart + 3, f.bodyStart);
    for (const at of [Math.ceil(eighth / 8), eighth, len]) out.push(f.bodyStart + at - 1, f.bodyStart + at, f.bodyStart + at + 1);
  }
  return out.sort((a, b) => a - b);
}

/** Read sizes: 1 byte to 256 KiB, a third of the time ending exactly at an edge. */
function cutter(rng: Prng, frames: Frame[]): (pos: number) => number {
  const points = edges(frames);
  return (pos) => {
    const edge = points.find((p) => p > pos);
    if (edge !== undefined && edge - pos <= 256 * 1024 && rng.next() < 0.33) return edge - pos;
    return rng.next() < 0.3 ? rng.int(1, 16) : rng.int(1, 256 * 1024);
  };
}

/** A FrameReader whose every push is checked against the stream it is reading. */
class Watched {
  readonly reader: FrameReader;
  readonly views: Buffer[] = [];
  readonly errors: RpcError[] = [];
  arrived = 0;
  pushes = 0; // reads pushed
  inPlace = 0; // bytes read into the reader's room
  /** @param firstLimit the limit until a frame arrives (a session's handshake limit, raised in its handler) */
  constructor(readonly frames: Frame[], readonly seed: number, firstLimit = MAX) {
    const onFrame = (buf: Buffer, start: number, end: number): void => {
      this.views.push(buf.subarray(start, end));
      this.reader.setLimit(MAX, "maxFrameBytes");
    };
    this.reader = new FrameReader(firstLimit, onFrame, (e) => this.errors.push(e));
  }

  push(chunk: Buffer, reused: boolean): void {
    const start = this.arrived;
    const room = this.reader.room();
    if (room && chunk.buffer === room.buffer) this.inPlace += chunk.length;
    allocations.length = 0;
    recording = true;
    this.reader.push(chunk, reused);
    recording = false;
    this.arrived += chunk.length;
    this.pushes++;
    this.check(start);
  }

  /** Allocations within 8x what arrived of a frame (or the bytes arrived); held bytes too; room within the frame. */
  private check(start: number): void {
    const end = this.arrived;
    const open = this.frames.find((f) => f.headerStart <= start && start < f.bodyStart + f.body.length);
    let bound = end - (open?.headerStart ?? start);
    for (const f of this.frames) {
      if (f.over || f.headerStart >= end || f.bodyEnd < start) continue;
      bound = Math.max(bound, 8 * (Math.min(end, f.bodyEnd) - f.bodyStart));
    }
    for (const size of allocations) assert.ok(size <= bound, `seed ${this.seed}: ${size} B allocated with ${end} B arrived (bound ${bound})`);
    const now = this.frames.find((f) => f.headerStart <= end && end < f.bodyEnd);
    if (!now || this.errors.length > 0) return;
    const have = Math.max(0, end - now.bodyStart);
    const held = this.reader.bufferedBytes;
    assert.ok(held <= Math.max(8 * have, end - now.headerStart), `seed ${this.seed}: ${held} B held with ${have} B of a ${now.body.length} B frame`);
    const room = this.reader.room();
    if (room) assert.ok(room.length > 0 && room.length <= now.bodyEnd - end, `seed ${this.seed}: room of ${room.length} B with ${now.bodyEnd - end} B of the frame to come`);
  }

  /** Every frame byte-exact and in order, the refusal if the stream ends over the limit. */
  verify(): void {
    const whole = this.frames.filter((f) => !f.over);
    assert.equal(this.views.length, whole.length, `seed ${this.seed}: frame count`);
    whole.forEach((f, i) => assert.ok(this.views[i]!.equals(f.body), `seed ${this.seed}: frame ${i} of ${f.body.length} B byte-exact`));
    if (this.frames.some((f) => f.over)) {
      assert.equal(this.errors.length, 1, `seed ${this.seed}: one refusal`);
      assert.equal(this.errors[0]!.code, "RESOURCE_EXHAUSTED");
      assert.match(this.errors[0]!.message, new RegExp(`frame of ${MAX + 1} B exceeds maxFrameBytes ${MAX}`));
    } else {
      assert.deepEqual(this.errors, [], `seed ${this.seed}: no error`);
      assert.equal(this.reader.bufferedBytes, 0, `seed ${this.seed}: nothing left held`);
    }
  }

  /** Whether everything the stream should produce has come out. */
  complete(): boolean {
    return this.errors.length > 0 || this.views.length === this.frames.filter((f) => !f.over).length;
  }
}

/** Feeds `bytes` as a socket would in `mode`: read buffer overwritten after each push, room filled in place. */
function feed(w: Watched, bytes: Buffer, mode: "chunks" | "reused" | "socket-like", next: (pos: number) => number, readBuffer: Buffer): void {
  for (let pos = 0; pos < bytes.length; ) {
    let n = Math.min(next(pos), bytes.length - pos);
    const room = mode === "socket-like" ? w.reader.room() : undefined;
    if (room) {
      n = Math.min(n, room.length);
      bytes.copy(room, 0, pos, pos + n);
      w.push(room.subarray(0, n), false);
    } else if (mode === "chunks") {
      w.push(bytes.subarray(pos, pos + n), false);
    } else {
      n = Math.min(n, readBuffer.length);
      bytes.copy(readBuffer, 0, pos, pos + n);
      w.push(readBuffer.subarray(0, n), true);
      readBuffer.fill(0xee, 0, n);
    }
    pos += n;
  }
}

/** Runs `body` for seeds from BASE_SEED on, at most `count` of them and LOOP_MS of time. */
async function seeded(count: number, run: (seed: number) => void | Promise<void>): Promise<number> {
  const deadline = Date.now() + LOOP_MS;
  let done = 0;
  for (let seed = BASE_SEED; done < count && (done < 3 || Date.now() < deadline); seed++, done++) await run(seed);
  return done;
}

for (const mode of ["chunks", "reused", "socket-like"] as const) {
  test(`seeded streams of 0 B to 2 MiB frames cut at random and at the reader's edges come out byte-exact, pushed as ${mode}`, async (t) => {
    const readBuffer = originals.allocUnsafe(256 * 1024);
    let [bytes, pushes] = [0, 0];
    const ran = await seeded(150, (seed) => {
      const rng = new Prng(seed);
      const s = stream(sizes(rng), seed);
      const w = new Watched(s.frames, seed);
      feed(w, s.bytes, mode, cutter(rng, s.frames), readBuffer);
      w.verify();
      bytes += w.arrived;
      pushes += w.pushes;
    });
    t.diagnostic(`seeds ${BASE_SEED}..${BASE_SEED + ran - 1}: ${bytes} B in ${pushes} pushes`);
  });
}

test("a length header split at every offset and every combination of offsets is read the same, up to maxFrameBytes+1", () => {
  const readBuffer = originals.allocUnsafe(256 * 1024);
  for (const size of [0, 7, K64 - 1, K64, K64 + 1, 8 * K64, MAX, MAX + 1]) {
    for (let cuts = 0; cuts < 8; cuts++) {
      for (const mode of ["chunks", "reused", "socket-like"] as const) {
        const s = stream([5, size], cuts);
        const at = [1, 2, 3].filter((_, i) => cuts & (1 << i)).map((k) => s.frames[1]!.headerStart + k);
        const w = new Watched(s.frames, cuts);
        // The header starts inside a read that carries the frame before it.
        feed(w, s.bytes, mode, (pos) => (at.find((p) => p > pos) ?? s.bytes.length) - pos, readBuffer);
        w.verify();
      }
    }
  }
});

test("frames behind the first in the same read meet the limit its handler raised (a handshake's 16 B, then maxFrameBytes)", async () => {
  const readBuffer = originals.allocUnsafe(256 * 1024);
  await seeded(40, (seed) => {
    const rng = new Prng(seed);
    const s = stream([10, ...sizes(rng)], seed);
    const w = new Watched(s.frames, seed, 16);
    feed(w, s.bytes, rng.pick(["chunks", "reused", "socket-like"] as const), cutter(rng, s.frames), readBuffer);
    w.verify();
  });
  const w = new Watched(stream([17], 1).frames, 1, 16);
  w.push(stream([17], 1).bytes, true);
  assert.match(w.errors[0]!.message, /frame of 17 B exceeds maxFrameBytes 16/, "the first frame still meets the first limit");
});

test("a header over maxFrameBytes is refused before any buffer is taken, however much follows it", () => {
  for (const following of [0, 1, 64 * 1024, 256 * 1024]) {
    const s = stream([MAX + 1], following);
    const bytes = Buffer.concat([s.bytes.subarray(0, 4), originals.alloc(following, 1)]);
    const w = new Watched(s.frames, following);
    w.push(bytes, true);
    assert.equal(w.errors.length, 1);
    assert.ok(allocations.every((size) => size < 4 + following + 1), `allocations ${allocations.join(",")} after ${following} B`);
    assert.equal(w.reader.bufferedBytes, 0);
    w.push(originals.alloc(100), false);
    assert.equal(w.errors.length, 1, "refused once");
  }
});

/** A tcp:// or unix:// listener on loopback that hands each accepted socket to `onSocket`. */
async function listen(scheme: "tcp" | "unix", onSocket: (socket: Socket) => void): Promise<StreamListener> {
  let url = "tcp://127.0.0.1:0";
  if (scheme === "unix") {
    const dir = await mkdtemp(join(tmpdir(), "farcall-hostile-"));
    after(() => rm(dir, { recursive: true, force: true }));
    url = `unix://${join(dir, "s.sock")}`;
  }
  return listenStream(parseAddress(url), undefined, 5000, { admit: () => true, onError: (e) => assert.fail(e), onSocket: (socket) => onSocket(socket.on("error", () => {})) });
}

/** What a session gives a socket's reads: the watched reader, dropped at close, the socket destroyed on a refusal. */
function reading(w: Watched, socket: Socket): [(chunk: Buffer, reused: boolean) => void, () => Buffer | undefined] {
  socket.on("close", () => w.reader.stop());
  const push = (chunk: Buffer, reused: boolean): void => {
    w.push(chunk, reused);
    if (w.errors.length > 0) socket.destroy();
  };
  return [push, () => w.reader.room()];
}

/** Writes `bytes` in the cutter's pieces, now and then letting a turn pass so reads split. */
async function writeInPieces(socket: Socket, bytes: Buffer, rng: Prng, next: (pos: number) => number): Promise<void> {
  for (let pos = 0; pos < bytes.length && !socket.destroyed; ) {
    const n = Math.min(next(pos), bytes.length - pos);
    if (!socket.write(bytes.subarray(pos, pos + n))) {
      await new Promise<void>((resolve) => {
        const done = (): void => (socket.off("drain", done).off("close", done), resolve());
        socket.on("drain", done).on("close", done);
      });
    }
    if (rng.next() < 0.2) await new Promise((r) => setImmediate(r));
    pos += n;
  }
}

for (const scheme of ["tcp", "unix"] as const) {
  for (const side of ["accepted", "dialed"] as const) {
    test(`seeded streams over ${scheme}:// are read by ${side === "accepted" ? "the listener's socket through readAccepted" : "the dialed socket through onread"}, in place where a frame is large, byte-exact`, async (t) => {
      let serve: (socket: Socket) => void = () => {};
      const listener = await listen(scheme, (socket) => serve(socket));
      const usedBuffer: boolean[] = [];
      let inPlace = 0;
      try {
        const ran = await seeded(16, async (seed) => {
          const rng = new Prng(seed);
          const s = stream(sizes(rng), seed);
          const w = new Watched(s.frames, seed);
          const send = (socket: Socket): Promise<void> => writeInPieces(socket, s.bytes, rng, cutter(rng, s.frames));
          serve = (socket) => (side === "accepted" ? usedBuffer.push(readAccepted(socket, ...reading(w, socket))) : void send(socket));
          const input = side === "dialed" ? new SocketInput() : undefined;
          const client = (await dialStream(listener.address, undefined, 5000, input)).on("error", () => {});
          if (input) input.read(...reading(w, client));
          else await until(5000, `seed ${seed}: accepted`, () => usedBuffer.length === seed - BASE_SEED + 1).then(() => send(client));
          await until(20_000, `seed ${seed}: every frame read`, () => w.complete());
          client.destroy();
          w.verify();
          inPlace += w.inPlace;
        });
        assert.ok(usedBuffer.every(Boolean), "accepted sockets read through the shared buffer");
        assert.ok(inPlace > 0, "some reads landed in a frame's own buffer");
        t.diagnostic(`seeds ${BASE_SEED}..${BASE_SEED + ran - 1}, ${inPlace} B read in place`);
      } finally {
        await listener.close();
      }
    });
  }
}

/** Writes bytes [from, to) one byte per write, waiting for each to be read. */
async function trickle(client: Socket, w: Watched, bytes: Buffer, from: number, to: number): Promise<void> {
  for (let pos = from; pos < to; pos++) {
    client.write(bytes.subarray(pos, pos + 1));
    await until(5000, `byte ${pos} read`, () => w.arrived > pos);
  }
}

for (const [size, ending] of [[100_000, "the rest"], [MAX, "end"], [K64, "reset"]] as const) {
  test(`a peer that announces ${size} B and trickles single bytes across its 64th and eighth holds at most 8x what it sent, then sends ${ending}; the next peer is read byte-exact`, async () => {
    const eighth = Math.ceil(size / 8);
    let s = stream([3, size, 4], 77);
    const servers: { w: Watched; socket: Socket; used: boolean }[] = [];
    const listener = await listen("tcp", (socket) => {
      const w = new Watched(s.frames, s.seed);
      servers.push({ w, socket, used: readAccepted(socket, ...reading(w, socket)) });
    });
    const client = (await dialStream(listener.address, undefined, 5000)).on("error", () => {});
    try {
      await until(5000, "accepted", () => servers.length === 1);
      const { w, socket } = servers[0]!;
      const at = s.frames[1]!.bodyStart;
      await trickle(client, w, s.bytes, 0, at + 2);
      assert.equal(w.reader.bufferedBytes, 6, "only the header and what arrived are held");
      // Past the 64th: a buffer for the first eighth (8x what arrived); past the eighth: the frame's own.
      for (const [edge, held] of [[Math.ceil(eighth / 8), eighth], [eighth, size]] as const) {
        client.write(s.bytes.subarray(w.arrived, at + edge - 3));
        await trickle(client, w, s.bytes, at + edge - 3, at + edge + 3);
        assert.equal(w.reader.bufferedBytes, held, `${held} B held with ${edge + 3} B of the body arrived`);
      }
      assert.ok(w.inPlace > 0, "single bytes landed in the frame's buffer in place");
      // The peer stops: nothing is emitted and nothing more is taken.
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(w.views.length, 1);
      assert.equal(w.reader.bufferedBytes, size);
      if (ending === "the rest") {
        client.write(s.bytes.subarray(w.arrived));
        await until(5000, "the rest read", () => w.complete());
        w.verify();
      } else {
        const gone = new Promise((resolve) => socket.once("close", resolve)); // after ECONNRESET on a reset
        if (ending === "end") client.end();
        else client.resetAndDestroy();
        await within(gone, 5000, "the server's socket closes");
        assert.equal(w.views.length, 1, "the partial frame is never emitted");
        assert.equal(w.reader.bufferedBytes, 0, "its buffer is let go");
      }
      // The next peer on the same listener reads byte-exact; the frame kept from the first is untouched.
      const first = s.frames[0]!.body;
      s = stream([K64, 300 * 1024, 1, MAX], 6);
      const next = (await dialStream(listener.address, undefined, 5000)).on("error", () => {});
      await until(5000, "second accepted", () => servers.length === 2);
      await writeInPieces(next, s.bytes, new Prng(6), cutter(new Prng(6), s.frames));
      await until(20_000, "the second stream read", () => servers[1]!.w.complete());
      next.destroy();
      servers[1]!.w.verify();
      assert.ok(w.views[0]!.equals(first), "the first connection's frame is untouched");
      assert.ok(servers.every((x) => x.used), "both sockets read through the shared buffer");
    } finally {
      client.destroy();
      await listener.close();
    }
  });
}
