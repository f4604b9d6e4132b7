/**
 * A shared Array's text typecodes (`u`, `w`) and `array.array` values read from a request:
 * the pickles below are CPython 3.13's own (`pickle.dumps(array.array(...), 4)`) and the
 * `(typecode, native bytes)` form managers.py's reducer sends.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ARRAY_GLOBALS, PyArray, unicodeText } from "../../src/pymanager/array-value.js";
import { decodePickle, encodePickle, PickleGlobal } from "../../src/pymanager/pickle/pickle.js";
import { SharedArray } from "../../src/pymanager/shared/array.js";
import { pyRepr } from "../../src/pymanager/repr.js";

const GLOBALS = { array: ARRAY_GLOBALS };
const read = (hex: string) => decodePickle(Buffer.from(hex, "hex"), { globals: GLOBALS });
const reconstructed = (typecode: string, code: number, bytes: string) =>
  `80048c056172726179948c145f61727261795f7265636f6e7374727563746f72949394288c056172726179948c0561727261799493948c01${Buffer.from(typecode).toString("hex")}944b${code.toString(16).padStart(2, "0")}43${(bytes.length / 2).toString(16).padStart(2, "0")}${bytes}94749452942e`;

function itemsOf(value: unknown): unknown[] {
  assert.ok(value instanceof PyArray, "an array.array is read as a PyArray");
  return [...value.items];
}

describe("array.array values in a request", () => {
  it("Python 3's _array_reconstructor form is read in each machine format: ints, 64-bit unsigned, doubles, UCS4 text", () => {
    assert.deepEqual(itemsOf(read(reconstructed("h", 4, "0100feff"))), [1, -2]);
    assert.deepEqual(itemsOf(read(reconstructed("Q", 10, "ffffffffffffffff"))), [2n ** 64n - 1n]);
    assert.deepEqual(itemsOf(read(reconstructed("d", 16, "000000000000e03f"))), [0.5]);
    assert.deepEqual(itemsOf(read(reconstructed("w", 20, "6100000000f60100"))), ["a", "\u{1f600}"]);
  });

  it("the (typecode, native bytes) form a manager client sends is read little-endian, 8-byte l", () => {
    const bytes = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 5, 0, 0, 0, 0, 0, 0, 0]);
    const pickle = encodePickle(new PickleGlobal("array", "array", { args: ["l", bytes] }));
    assert.deepEqual(itemsOf(decodePickle(pickle, { globals: GLOBALS })), [-1, 5]);
  });

  it("bytes that are not a whole number of items, an unknown machine format and an unknown typecode are refused, naming them", () => {
    assert.throws(() => read(reconstructed("h", 4, "010002")), /array of 3 bytes is not a whole number of 2-byte items/);
    assert.throws(() => read(reconstructed("h", 30, "0100")), /array machine format 30 is not one CPython writes/);
    const unknown = encodePickle(new PickleGlobal("array", "array", { args: ["x", new Uint8Array([1])] }));
    assert.throws(() => decodePickle(unknown, { globals: GLOBALS }), /array.array typecode "x" is not served/);
  });

  it("a code point past U+10FFFF in a UCS4 array is refused", () => {
    assert.throws(() => read(reconstructed("w", 20, "00001100")), /array item U\+110000 is not a character/);
  });

  it("a PyArray pickles back as array.array(typecode, items), a text one through unicode_escape so 2.7 reads unicode", () => {
    const again = decodePickle(encodePickle(new PyArray("i", [1, 2])), { globals: GLOBALS });
    assert.deepEqual(itemsOf(again), [1, 2]);
    const text = unicodeText("a\\\u00e9\u{1f600}\ud800");
    assert.deepEqual(text.args, ["a\\\\\\U000000e9\\U0001f600\\U0000d800", "unicode_escape"]);
  });
});

describe("a shared Array of typecode u or w", () => {
  it("holds one character per item, astral ones included, and refuses anything else as array.array does", () => {
    const a = new SharedArray("u", [..."h\u00e9\u{1f600}"]);
    assert.equal(a.length(), 3);
    assert.equal(a.at(2), "\u{1f600}");
    assert.throws(() => a.set(0, "ab"), { code: "TypeError", message: "array item must be unicode character" });
    assert.throws(() => a.set(0, 5), { code: "TypeError", message: "array item must be unicode character" });
    assert.throws(() => a.set(0, ""), { code: "TypeError" });
  });

  it("a plain slice assignment may change the length; the items are checked before any is stored", () => {
    const a = new SharedArray("i", [1, 2, 3]);
    a.splice(1, 1, 7, 8, 9);
    assert.deepEqual(a.toArray(), [1, 7, 8, 9, 3]);
    assert.throws(() => a.splice(0, 1, 1, 2 ** 40), { code: "OverflowError" });
    assert.deepEqual(a.toArray(), [1, 7, 8, 9, 3]);
  });

  it("an unknown typecode names the ones served", () => {
    assert.throws(() => new SharedArray("x", []), { code: "ValueError", message: "bad typecode (must be c, b, B, u, w, h, H, i, I, l, L, q, Q, f or d)" });
  });

  it("a c array holds bytes, each a one-character string below U+0100; anything else is refused as 2.7 refuses it", () => {
    const a = new SharedArray("c", ["a", "\xff"]);
    a.set(0, "\x00");
    assert.deepEqual(a.toArray(), ["\x00", "\xff"]);
    for (const bad of ["ab", "\u0100", 1, new Uint8Array([1])]) assert.throws(() => a.set(1, bad), { code: "TypeError", message: "array item must be char" }, String(bad));
    // 2.7 builds it back from a native str, which is bytes at protocol 2.
    const back = decodePickle(encodePickle(new PyArray("c", a.toArray()), { protocol: 2 }), { globals: GLOBALS });
    assert.deepEqual(itemsOf(back), ["\x00", "\xff"]);
  });

  it("an int item out of its C type's range fails with Python 3's OverflowError words for that conversion", () => {
    const cases: [string, bigint, string][] = [
      ["b", 2n ** 40n, "signed short integer is greater than maximum"], ["b", 200n, "signed char is greater than maximum"],
      ["B", -1n, "unsigned byte integer is less than minimum"], ["H", 2n ** 40n, "signed integer is greater than maximum"],
      ["H", 70_000n, "unsigned short is greater than maximum"], ["i", -(2n ** 70n), "Python int too large to convert to C long"],
      ["I", -1n, "can't convert negative value to unsigned int"], ["L", 2n ** 70n, "Python int too large to convert to C unsigned long"],
      ["q", 2n ** 63n, "int too big to convert"], ["Q", -1n, "can't convert negative int to unsigned"],
    ];
    for (const [typecode, n, message] of cases) assert.throws(() => new SharedArray(typecode, [n]), { code: "OverflowError", message }, `${typecode} ${n}`);
  });
});

describe("an array inside a value the server prints", () => {
  it("prints as Python prints array.array (str(d) of a dict holding one)", () => {
    const d = new Map<string, unknown>([["u", new PyArray("u", ["h", "é"])], ["i", [new PyArray("i", [1, 2])]], ["d", new PyArray("d", [1, 2.5])], ["e", new PyArray("b", [])]]);
    assert.equal(pyRepr(d), "{'u': array('u', 'hé'), 'i': [array('i', [1, 2])], 'd': array('d', [1.0, 2.5]), 'e': array('b')}");
    assert.equal(pyRepr(new PyArray("u", ["h", "é"]), 0, true), "array('u', u'h\\xe9')");
    assert.equal(pyRepr(new PyArray("c", ["a", "b"]), 0, true), "array('c', 'ab')");
  });
});
