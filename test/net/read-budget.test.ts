import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import type { RpcError } from "../../src/core/errors.js";
import { FrameReader } from "../../src/net/frame-reader.js";
import { ReadBudget } from "../../src/net/read-budget.js";

const KiB = 1024;
const MiB = 1024 * KiB;

/** A reader charging `budget`, with what it emitted and the errors it raised. */
function readerOn(budget: ReadBudget) {
  const frames: Buffer[] = [];
  const errors: RpcError[] = [];
  const reader = new FrameReader(16 * MiB, (buf, start, end) => frames.push(Buffer.from(buf.subarray(start, end))), (e) => errors.push(e), "maxFrameBytes", budget);
  return { reader, frames, errors };
}

/** A frame of `length` bytes of body, filled with a pattern that shows any byte out of place. */
function frameOf(length: number): Buffer {
  const out = Buffer.allocUnsafe(4 + length);
  out.writeUInt32BE(length, 0);
  for (let i = 0; i < length; i++) out[4 + i] = (i * 31 + 7) & 0xff;
  return out;
}

/** Sizes of the buffers of 64 KiB and more taken with Buffer.allocUnsafeSlow while `run` runs. */
const originalAlloc = Buffer.allocUnsafeSlow;
function largeAllocations(run: () => void): number[] {
  const sizes: number[] = [];
  Buffer.allocUnsafeSlow = (size: number) => {
    if (size >= 64 * KiB) sizes.push(size);
    return originalAlloc(size);
  };
  try {
    run();
  } finally {
    Buffer.allocUnsafeSlow = originalAlloc;
  }
  return sizes;
}

describe("the server-wide read budget of FrameReader", () => {
  afterEach(() => {
    Buffer.allocUnsafeSlow = originalAlloc;
  });

  it("readers each holding part of a large frame fill the budget; the next is refused with RESOURCE_EXHAUSTED before its buffer is allocated", () => {
    const budget = new ReadBudget(4 * MiB + 128 * KiB);
    const big = frameOf(2 * MiB);
    const holders = [readerOn(budget), readerOn(budget)];
    for (const h of holders) h.reader.push(big.subarray(0, 4 + 300 * KiB));
    assert.equal(budget.used, 4 * MiB, "each holds the whole frame's buffer once an eighth arrived");
    const late = readerOn(budget);
    // 40 KiB of a 2 MiB frame would take a 256 KiB buffer for its first eighth: past the cap.
    const taken = largeAllocations(() => late.reader.push(big.subarray(0, 4 + 40 * KiB)));
    assert.deepEqual(taken, [], "no buffer taken for the refused frame");
    assert.equal(late.errors.length, 1);
    assert.equal(late.errors[0]!.code, "RESOURCE_EXHAUSTED");
    assert.equal(
      late.errors[0]!.message,
      `frame of ${2 * MiB} B needs ${256 * KiB} B more: ${4 * MiB} B already held for partial frames of all peers + ${256 * KiB} B exceed maxServerReadBufferBytes ${4 * MiB + 128 * KiB}`,
    );
    assert.equal(late.reader.bufferedBytes, 0, "the refused reader keeps nothing");
    assert.equal(budget.used, 4 * MiB, "the refusal charged nothing");
    late.reader.push(big.subarray(4 + 40 * KiB));
    assert.equal(late.frames.length, 0, "a refused reader emits nothing after");
  });

  it("completing a frame or stopping a reader gives its share back exactly once, and a later large frame is accepted", () => {
    const budget = new ReadBudget(4 * MiB + 128 * KiB);
    const big = frameOf(2 * MiB);
    const [a, b] = [readerOn(budget), readerOn(budget)];
    a.reader.push(big.subarray(0, 4 + 300 * KiB));
    b.reader.push(big.subarray(0, 4 + 300 * KiB));
    assert.equal(budget.used, 4 * MiB);
    a.reader.push(big.subarray(4 + 300 * KiB));
    assert.equal(a.frames.length, 1);
    assert.ok(a.frames[0]!.equals(big.subarray(4)), "the frame arrives intact");
    assert.equal(budget.used, 2 * MiB, "credited when handed on");
    b.reader.stop();
    b.reader.stop();
    assert.equal(budget.used, 0, "credited once when the connection goes");
    const whole = frameOf(4 * MiB);
    const c = readerOn(budget);
    for (let at = 0; at < whole.length; at += 100 * KiB) c.reader.push(whole.subarray(at, Math.min(at + 100 * KiB, whole.length)));
    assert.deepEqual(c.errors, []);
    assert.equal(c.frames.length, 1);
    assert.ok(c.frames[0]!.equals(whole.subarray(4)));
    assert.equal(budget.used, 0);
    c.reader.stop();
    assert.equal(budget.used, 0, "stopping after the frame was handed on credits nothing more");
  });

  it("a frame that grows from its first eighth to its whole buffer is refused when the whole would pass the budget, and gives back the eighth", () => {
    const budget = new ReadBudget(MiB);
    const big = frameOf(2 * MiB);
    const r = readerOn(budget);
    r.reader.push(big.subarray(0, 4 + 40 * KiB));
    assert.equal(budget.used, 256 * KiB, "the first eighth is charged");
    const taken = largeAllocations(() => r.reader.push(big.subarray(4 + 40 * KiB, 4 + 300 * KiB)));
    assert.deepEqual(taken, [], "the whole frame's buffer was never taken");
    assert.equal(r.errors.length, 1);
    assert.match(r.errors[0]!.message, new RegExp(`^frame of ${2 * MiB} B needs ${2 * MiB - 256 * KiB} B more: ${256 * KiB} B already held .* exceed maxServerReadBufferBytes ${MiB}$`));
    assert.equal(budget.used, 0);
  });

  it("frames read in place, into the room the reader offers, are charged and credited like any other", () => {
    const budget = new ReadBudget(8 * MiB);
    const big = frameOf(3 * MiB);
    const r = readerOn(budget);
    r.reader.push(big.subarray(0, 4 + 400 * KiB), true);
    let at = 4 + 400 * KiB;
    while (at < big.length) {
      const room = r.reader.room();
      assert.ok(room, "a large frame offers its buffer's rest");
      const n = Math.min(room.length, 64 * KiB, big.length - at);
      big.copy(room, 0, at, at + n);
      r.reader.push(room.subarray(0, n), true);
      if (at + n < big.length) assert.equal(budget.used, 3 * MiB);
      at += n;
    }
    assert.equal(r.frames.length, 1);
    assert.ok(r.frames[0]!.equals(big.subarray(4)));
    assert.equal(budget.used, 0);
  });

  it("frames under 64 KiB never touch the budget, however they are split; the first larger one does", () => {
    const budget = new ReadBudget(0);
    const r = readerOn(budget);
    const stream = Buffer.concat(Array.from({ length: 40 }, (_, i) => frameOf(i * 1600 + 1)));
    for (let at = 0; at < stream.length; at += 7919) r.reader.push(stream.subarray(at, at + 7919));
    assert.equal(r.errors.length, 0);
    assert.equal(r.frames.length, 40);
    assert.equal(budget.used, 0);
    const large = frameOf(64 * KiB);
    r.reader.push(large.subarray(0, 30 * KiB));
    assert.equal(r.errors.length, 1, "a 64 KiB frame split over reads needs a buffer of its own");
    assert.match(r.errors[0]!.message, /exceed maxServerReadBufferBytes 0$/);
  });
});
