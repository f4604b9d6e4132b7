import assert from "node:assert/strict";
import { test } from "node:test";
import { Packr } from "msgpackr";
import { createMsgpackCodec } from "../../src/codecs/msgpack.js";
import { NOT_SMALL, packSmall, unpackSmall } from "../../src/codecs/msgpack-small.js";
import { RpcError } from "../../src/core/errors.js";
import { Prng } from "../fixtures/hostile/prng.js";

/** msgpackr with the codec's options: the reference both directions are held to. */
const msgpackr = new Packr({ useRecords: false, mapsAsObjects: true, int64AsType: "bigint", moreTypes: true, useBigIntExtension: true, structuredClone: false });

const NUMBERS = [0, 1, 31, 32, 127, 128, 255, 256, 65535, 65536, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, -1, -32, -33, -128, -129, -32768, -32769, -(2 ** 31), -(2 ** 31) - 1, 0.5, -1.25, 1e300, NaN, Infinity, -Infinity];
const STRINGS = ["", "a", "add", "counter.get", "x".repeat(31), "y".repeat(32), "z".repeat(64)];

function scalar(rng: Prng): unknown {
  switch (rng.int(0, 5)) {
    case 0: return NUMBERS[rng.int(0, NUMBERS.length - 1)];
    case 1: return rng.int(-(2 ** 31), 2 ** 32 - 1);
    case 2: return STRINGS[rng.int(0, STRINGS.length - 1)];
    case 3: return rng.next() < 0.5;
    case 4: return null;
    default: return undefined;
  }
}

function plainDocument(rng: Prng, depth: number): unknown[] {
  const doc: unknown[] = [];
  const n = rng.int(0, 6);
  for (let i = 0; i < n; i++) doc.push(depth < 3 && rng.next() < 0.2 ? plainDocument(rng, depth + 1) : scalar(rng));
  return doc;
}

test("plain calls and answers are written byte for byte as msgpackr writes them, and read back as msgpackr reads them (2,000 seeded documents)", () => {
  const rng = new Prng(1505);
  for (let i = 0; i < 2000; i++) {
    const doc = i === 0 ? [0, 7, "add", [1, 2]] : plainDocument(rng, 1);
    const expected = msgpackr.pack(doc);
    const bytes = packSmall(doc, 64);
    // Near the 128-byte bound the small path may leave a document to msgpackr (it checks room per value).
    if (expected.length > 100 && bytes === undefined) continue;
    assert.ok(bytes, `document ${i} was left to msgpackr: ${JSON.stringify(doc)}`);
    assert.deepStrictEqual(Buffer.from(bytes), Buffer.from(expected), `document ${i}`);
    assert.equal(bytes.buffer.byteLength, bytes.length, "the frame owns exactly its bytes");
    const read = unpackSmall(expected, 0, expected.length, 64);
    assert.notEqual(read, NOT_SMALL, `document ${i} was not read`);
    assert.deepStrictEqual(read, msgpackr.unpack(expected), `document ${i}`);
  }
});

test("a document deep in a larger buffer is read from its own bytes only", () => {
  const doc = msgpackr.pack([2, 300, "answer"]);
  const buf = Buffer.concat([Buffer.from([0x93, 1, 2]), doc, Buffer.from([0xc0, 0xc0])]);
  assert.deepStrictEqual(unpackSmall(buf, 3, 3 + doc.length, 64), [2, 300, "answer"]);
});

test("what the small path does not write is left to msgpackr: -0, maps, objects, bytes, bigints, non-ASCII and long strings, 16 elements, functions", () => {
  const left: unknown[] = [[-0], [new Map()], [{ a: 1 }], [new Uint8Array(2)], [1n], ["é"], ["s".repeat(65)], new Array(16).fill(1), [() => 1], [new Date(0)], "not an array", 5];
  class List extends Array<number> {}
  left.push(List.from([1]));
  for (const value of left) assert.equal(packSmall(value, 64), undefined, String(value));
  assert.equal(packSmall([[[[1]]]], 3), undefined, "nesting past maxDepth");
  assert.ok(packSmall([[[1]]], 3));
  assert.equal(packSmall(new Array(15).fill("p".repeat(20)), 64), undefined, "over 128 bytes");
});

test("what the small path does not read is left to msgpackr: other types, non-ASCII, trailing bytes, nesting past maxDepth, and every truncation", () => {
  const left = [
    msgpackr.pack([1n << 40n]), msgpackr.pack(["é"]), msgpackr.pack([new Map([[1, 2]])]), msgpackr.pack([{ a: 1 }]),
    msgpackr.pack([new Uint8Array(3)]), Buffer.from([0x91, 0xca, 0, 0, 0, 0]), Buffer.from([0x91, 0xd4, 0, 1]), Buffer.from([0x91, 0xc1]),
    Buffer.from([0x91, 1, 2]), msgpackr.pack(1), msgpackr.pack(Array.from({ length: 16 }, (_, i) => i)),
  ];
  for (const bytes of left) assert.equal(unpackSmall(bytes, 0, bytes.length, 64), NOT_SMALL, Buffer.from(bytes).toString("hex"));
  const nested = msgpackr.pack([[[1]]]);
  assert.equal(unpackSmall(nested, 0, nested.length, 2), NOT_SMALL);
  assert.deepStrictEqual(unpackSmall(nested, 0, nested.length, 3), [[[1]]]);
  const call = msgpackr.pack([0, 70000, "counter.get", ["key", -200, 1.5, "y".repeat(40)]]);
  for (let cut = 1; cut < call.length; cut++) assert.equal(unpackSmall(call, 0, cut, 64), NOT_SMALL, `cut at ${cut}`);
});

test("the codec still refuses what it refused: a truncated plain document, trailing bytes, nesting past maxDepth both ways", () => {
  const codec = createMsgpackCodec({ maxDepth: 2 });
  const call = codec.encode([0, 1, "add", [1, 2]]);
  assert.throws(() => codec.decode(call, 0, call.length - 1), (e: unknown) => RpcError.is(e) && e.code === "PARSE_ERROR");
  const trailing = Buffer.concat([call, Buffer.from([1])]);
  assert.throws(() => codec.decode(trailing), (e: unknown) => RpcError.is(e) && e.code === "PARSE_ERROR" && /trailing/.test(e.message));
  assert.throws(() => codec.encode([0, 1, "add", [[1]]]), (e: unknown) => RpcError.is(e) && e.code === "INVALID_PARAMS" && /maxDepth 2/.test(e.message));
  const deep = msgpackr.pack([0, 1, "add", [[1]]]);
  assert.throws(() => codec.decode(deep), (e: unknown) => RpcError.is(e) && e.code === "RESOURCE_EXHAUSTED" && /maxDepth 2/.test(e.message));
});

test("strings read again are the ones in the bytes, also when thousands of names share the 256 slots of the recent-string table", () => {
  const names = Array.from({ length: 3000 }, (_, i) => `m${i.toString(36)}.${"x".repeat(i % 20)}`);
  for (let round = 0; round < 2; round++) {
    for (const name of names) {
      const bytes = msgpackr.pack([0, 1, name, []]);
      assert.deepStrictEqual(unpackSmall(bytes, 0, bytes.length, 64), [0, 1, name, []]);
    }
  }
  // Same length, same slot is likely among 3,000; a one-byte difference must still show.
  const a = msgpackr.pack(["abc"]);
  const b = msgpackr.pack(["abd"]);
  assert.deepStrictEqual([unpackSmall(a, 0, a.length, 64), unpackSmall(b, 0, b.length, 64), unpackSmall(a, 0, a.length, 64)], [["abc"], ["abd"], ["abc"]]);
});
