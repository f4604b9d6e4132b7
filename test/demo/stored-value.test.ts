/**
 * How the demo's JetStream store writes values: Python's own types as a pickle after 0xc1,
 * everything else as msgpack, so each side reads back the types it wrote and values written
 * before (plain msgpack) still read.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createMsgpackCodec } from "../../src/codecs/msgpack.js";
import { decodeStored, encodeStored } from "../../src/demo/stored-value.js";
import { PyArray } from "../../src/pymanager/array-value.js";
import { pythonTypeOf, tuple } from "../../src/pymanager/pickle/python-types.js";

describe("a value in the demo's JetStream store", () => {
  it("holding a Python tuple, however deep, is a pickle after 0xc1 and reads back a tuple", () => {
    const bytes = encodeStored({ point: [tuple(1, "x")] });
    assert.equal(bytes[0], 0xc1);
    const back = decodeStored(bytes) as { point: unknown[] };
    assert.equal(pythonTypeOf(back.point[0]), "tuple");
    assert.deepEqual(back.point[0], [1, "x"]);
  });

  it("holding only JavaScript's types is msgpack, so a bigint and a Map come back as they went", () => {
    const value = { n: 10n, m: new Map([[1, "one"]]) };
    const bytes = encodeStored(value);
    assert.notEqual(bytes[0], 0xc1);
    assert.deepEqual(decodeStored(bytes), value);
  });

  it("written before as plain msgpack reads as it did", () => {
    const old = createMsgpackCodec({ maxDepth: 64 }).encode({ a: [1, 2] });
    assert.deepEqual(decodeStored(old), { a: [1, 2] });
  });

  it("an array.array is refused, naming what to store instead", () => {
    assert.throws(() => encodeStored([new PyArray("i", [1])]), { code: "INVALID_PARAMS", message: /store its items as a list/ });
  });
});
