// encodeSplit: large byte arrays stay out of the pack buffer and travel beside the frame's
// other bytes; joined, the pieces are exactly what encode() makes, and decode to equal values.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createMsgpackCodec } from "../../src/codecs/msgpack.js";
import { RpcError } from "../../src/core/errors.js";
import { SplitFrame } from "../../src/core/split-frame.js";

const codec = createMsgpackCodec();
const KIB = 1024;
const MIB = 1024 * KIB;
const THRESHOLD = 64 * KIB;

function split(value: unknown): SplitFrame {
  const frame = codec.encodeSplit!(value);
  assert.ok(frame instanceof SplitFrame, "a document with a large byte array is split");
  return frame;
}

/** Distinct bytes, so a piece out of place or off by one shows. */
function pattern(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

test("a 1 MiB Uint8Array is not copied: the frame carries the caller's array itself, and the packed bytes beside it stay under 4 KiB", () => {
  const payload = pattern(MIB, 1);
  const frame = split([2, 7, payload]);
  assert.ok(frame.parts.includes(payload), "the payload is a piece of the frame as given");
  const packed = frame.parts.filter((p) => p !== payload);
  for (const piece of packed) assert.ok(piece.buffer.byteLength <= 4 * KIB, `a packed piece sits in a buffer of ${piece.buffer.byteLength} B`);
  assert.equal(frame.byteLength, frame.parts.reduce((n, p) => n + p.byteLength, 0));
  assert.ok(frame.byteLength > MIB && frame.byteLength < MIB + 32);
});

test("joined, a split frame is byte for byte what encode() makes, and a 1 MiB payload round-trips byte-exact", () => {
  const payload = pattern(MIB, 2);
  const frame = split([2, 7, payload]);
  assert.deepEqual(frame.join(), new Uint8Array(codec.encode([2, 7, payload])));
  const [, , back] = codec.decode(frame.join()) as [number, number, Uint8Array];
  assert.equal(back.constructor, Uint8Array);
  assert.ok(Buffer.from(back).equals(Buffer.from(payload)));
});

test("payloads nested in objects, arrays, Maps and Sets, several in one message, keep their places and types", () => {
  const a = pattern(MIB, 3);
  const b = Buffer.from(pattern(300 * KIB, 4));
  const c = pattern(THRESHOLD, 5);
  const value = { id: "x", list: [1, a, "mid", { deep: [b] }], map: new Map<unknown, unknown>([["c", c], ["small", new Uint8Array([1, 2])]]), set: new Set([a]), tail: "end" };
  const frame = split(value);
  assert.equal(frame.parts.filter((p) => p === a || p === b || p === c).length, 4, "a appears twice, b and c once: every large payload is left out");
  assert.deepEqual(frame.join(), new Uint8Array(codec.encode(value)));
  const back = codec.decode(frame.join()) as typeof value;
  assert.deepStrictEqual(back, value);
  assert.ok(Buffer.isBuffer(back.list[3] && (back.list[3] as { deep: unknown[] }).deep[0]), "a Buffer comes back a Buffer");
});

test("a payload of exactly 64 KiB is left out; one byte less is packed inline, and a document without one is never split", () => {
  const at = pattern(THRESHOLD, 6);
  assert.ok(split([at]).parts.includes(at));
  const below = pattern(THRESHOLD - 1, 7);
  const inline = codec.encodeSplit!([below]);
  assert.ok(inline instanceof Uint8Array, "below the threshold the frame is contiguous");
  assert.deepStrictEqual(codec.decode(inline), [below]);
  assert.ok(codec.encodeSplit!([1, "two", { three: 3 }]) instanceof Uint8Array);
});

test("a payload last in the document, and one first, round-trip exactly", () => {
  for (const value of [pattern(200 * KIB, 8), [pattern(100 * KIB, 9), 1]]) {
    assert.deepStrictEqual(codec.decode(split(value).join()), value);
  }
});

test("typed arrays other than bytes are still packed whole, in a buffer of about their size", () => {
  const floats = new Float64Array(32 * KIB).fill(1.5);
  const frame = codec.encodeSplit!([floats]);
  assert.ok(frame instanceof Uint8Array);
  assert.ok(frame.buffer.byteLength < 1.1 * frame.length);
  assert.deepStrictEqual(codec.decode(frame), [floats]);
});

test("the send-side scan still runs on a split document: a Map nesting past maxDepth on the wire is refused, naming the limit", () => {
  // Three levels as values, five as MessagePack (a Map is a tag, its entries and each pair):
  // only the scan of the packed bytes sees it.
  const shallow = createMsgpackCodec({ maxDepth: 3 });
  assert.throws(
    () => shallow.encodeSplit!([new Map([["k", pattern(THRESHOLD, 10)]])]),
    (e: unknown) => RpcError.is(e) && e.code === "INVALID_PARAMS" && e.message === "value cannot be sent: nesting depth exceeds maxDepth 3",
  );
});
