/**
 * Python type marks (a tuple, frozenset, bytearray, OrderedDict, Counter, deque with its
 * maxlen, date, datetime with microseconds and offset) carried by farcall/1's MessagePack and
 * by extended JSON: the same natural value arrives with the same mark; a malformed mark is
 * refused naming it; unmarked values are written exactly as before.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createMsgpackCodec } from "../../src/codecs/msgpack.js";
import { createJsonCodec } from "../../src/codecs/json-ext.js";
import { FixedOffset, markPython, pythonTypeOf, Timedelta, tuple, type PythonTypeMark } from "../../src/core/python-types.js";
import type { Codec } from "../../src/core/codec.js";
import { RpcError } from "../../src/core/errors.js";
import { SplitFrame } from "../../src/core/split-frame.js";

const msgpack = createMsgpackCodec();
const json = createJsonCodec({ extended: true });
const CODECS: ReadonlyArray<readonly [string, Codec]> = [["msgpack", msgpack], ["json-ext", json]];

const ist = new FixedOffset(new Timedelta(0, 19_800, 0), "IST");
const minus = new FixedOffset(new Timedelta(-1, 74_700, 1));

/** One of each mark, and nestings of them (tuple keys, a frozenset in a Set, a deque in an OrderedDict). */
function markedValues(): Record<string, unknown> {
  return {
    tuple: tuple(1, "a", 2.5),
    emptyTuple: tuple(),
    nestedTuple: tuple(1, tuple("a", tuple(null)), [2, tuple(3)]),
    frozenset: markPython(new Set([1, 2, 3]), "frozenset"),
    frozensetInSet: new Set([markPython(new Set([1]), "frozenset")]),
    bytearray: markPython(new Uint8Array([97, 0, 255]), "bytearray"),
    bigBytearray: markPython(new Uint8Array(70_000).fill(7), "bytearray"),
    orderedDict: markPython(new Map<unknown, unknown>([["b", 1], [tuple(1, 2), tuple(3)]]), "OrderedDict"),
    counter: markPython(new Map([["x", 3], ["y", 1]]), "Counter"),
    deque: markPython([1, tuple(2)], { kind: "deque", maxlen: null }),
    dequeMaxlen: markPython([1, 2], { kind: "deque", maxlen: 5 }),
    dequeZero: markPython([], { kind: "deque", maxlen: 0 }),
    date: markPython(new Date(Date.UTC(2024, 1, 29)), "date"),
    naive: markPython(new Date(Date.UTC(2024, 1, 29, 23, 59, 58, 123)), { kind: "datetime", microsecond: 123_456, utcOffset: null }),
    named: markPython(new Date(Date.UTC(1999, 11, 31, 18, 29, 59, 999)), { kind: "datetime", microsecond: 999_999, utcOffset: ist }),
    negative: markPython(new Date(Date.UTC(2001, 2, 4, 8, 21, 7)), { kind: "datetime", microsecond: 1, utcOffset: minus }),
    tupleKeys: new Map([[tuple(1, 2), "t"]]),
    deep: { o: markPython(new Map([["k", markPython([tuple(1)], { kind: "deque", maxlen: 2 })]]), "OrderedDict") },
  };
}

/** Every mark in `v`, by path: what deepStrictEqual does not see (the mark is not enumerable). */
function marksOf(v: unknown, path = "", out: Record<string, PythonTypeMark> = {}): Record<string, PythonTypeMark> {
  const mark = pythonTypeOf(v);
  if (mark !== undefined) out[path || "."] = mark;
  if (Array.isArray(v) || v instanceof Set) [...v].forEach((x, i) => marksOf(x, `${path}[${i}]`, out));
  else if (v instanceof Map) [...v].forEach(([k, x], i) => (marksOf(k, `${path}<key ${i}>`, out), marksOf(x, `${path}<${i}>`, out)));
  else if (typeof v === "object" && v !== null && !ArrayBuffer.isView(v) && !(v instanceof Date)) for (const [k, x] of Object.entries(v)) marksOf(x, `${path}.${k}`, out);
  return out;
}

/** A document's bytes with `payload` written by hand under the mark's tag. */
function taggedBytes(name: string, payload: unknown): Uint8Array {
  if (name === "json-ext") return new TextEncoder().encode(`{"$farcall:python":${JSON.stringify(payload)}}`);
  // msgpack: fixext1 type 10, then the payload as any value (the codec writes it unmarked).
  return Buffer.concat([Buffer.from([0xd4, 10, 0]), msgpack.encode(payload)]);
}

describe("Python type marks on farcall's wire", () => {
  for (const [name, codec] of CODECS) {
    it(`${name}: every mark comes back on the same natural value, nested ones included`, () => {
      for (const [key, value] of Object.entries(markedValues())) {
        const back = codec.decode(codec.encode(value));
        assert.deepStrictEqual(back, value, key);
        assert.deepStrictEqual(marksOf(back), marksOf(value), key);
        assert.ok(Object.keys(marksOf(value)).length > 0, key);
      }
    });

    it(`${name}: the mark stays invisible to code that ignores it (not enumerable, a copy is plain)`, () => {
      const back = codec.decode(codec.encode({ t: tuple(1, 2) })) as { t: number[] };
      assert.ok(Array.isArray(back.t));
      assert.deepEqual(Object.keys(back.t), ["0", "1"]);
      assert.equal(JSON.stringify(back.t), "[1,2]");
      assert.equal(pythonTypeOf([...back.t]), undefined);
    });

    it(`${name}: a malformed mark is refused with PARSE_ERROR naming it`, () => {
      const cases: Array<[unknown, RegExp]> = [
        [["list", [1]], /unknown Python type mark "list"/],
        [[7, [1]], /name must be a string, got 7/],
        [["tuple"], /expected \[name, value, \.\.\.details\]/],
        [["frozenset", [1]], /"frozenset" goes on a Set, not on an array/],
        [["bytearray", "ab"], /"bytearray" goes on a Uint8Array, not on "ab"/],
        [["date", 5], /"date" goes on a valid Date, not on 5/],
        [["tuple", [1], 2], /"tuple" carries 0 detail\(s\), got 1/],
        [["deque", [1]], /"deque" carries 1 detail\(s\), got 0/],
        [["deque", [1], -1], /maxlen must be null or a non-negative integer, got -1/],
        [["deque", [1], 1.5], /maxlen must be null or a non-negative integer, got 1.5/],
        [["deque", [1], "3"], /maxlen must be null or a non-negative integer, got "3"/],
        [["deque", [1, 2, 3], 2], /a deque of maxlen 2 holds 3 items/],
      ];
      for (const [payload, message] of cases) {
        assert.throws(() => codec.decode(taggedBytes(name, payload)), (err: unknown) => RpcError.is(err) && err.code === "PARSE_ERROR" && message.test(err.message), JSON.stringify(payload));
      }
    });

    it(`${name}: a malformed datetime mark is refused naming its microsecond or offset`, () => {
      const date = codec.encode(new Date(0));
      // The Date's own form, then details spliced around it by hand.
      const parts = (details: unknown[]) => (name === "json-ext" ? ["datetime", JSON.parse(new TextDecoder().decode(date)), ...details] : ["datetime", new Date(0), ...details]);
      const cases: Array<[unknown[], RegExp]> = [
        [[1_000_000, null], /microsecond must be an integer from 0 to 999999, got 1000000/],
        [[0, [1, 0, 0]], /offset must be null or \[days, seconds, microseconds, name\?\] within a day of UTC/],
        [[0, [-1, 0, 0]], /within a day of UTC/],
        [[0, [0, 3600, 0, 5]], /within a day of UTC/],
        [[0, "UTC"], /within a day of UTC, got "UTC"/],
      ];
      for (const [details, message] of cases) {
        assert.throws(() => codec.decode(taggedBytes(name, parts(details))), (err: unknown) => RpcError.is(err) && err.code === "PARSE_ERROR" && message.test(err.message), JSON.stringify(details));
      }
    });

    it(`${name}: a mark that does not fit its value is not sent (INVALID_PARAMS naming it)`, () => {
      assert.throws(() => codec.encode([markPython([1], "frozenset")]), (err: unknown) => RpcError.is(err) && err.code === "INVALID_PARAMS" && /"frozenset" goes on a Set, not on an array/.test(err.message));
      assert.throws(() => codec.encode(markPython([1, 2], { kind: "deque", maxlen: 1 })), /a deque of maxlen 1 holds 2 items/);
    });
  }

  it("a marked value is still bounded by maxDepth, on both sides: its tag and list count as levels", () => {
    const makers = [(maxDepth: number) => createMsgpackCodec({ maxDepth }), (maxDepth: number) => createJsonCodec({ extended: true, maxDepth })];
    for (const make of makers) {
      const [small, large] = [make(6), make(64)];
      // tuple(tuple(1)): tag, [name, value], the array, and again: six levels.
      const twice = tuple(tuple(1));
      assert.deepStrictEqual(marksOf(small.decode(small.encode(twice))), marksOf(twice));
      const thrice = tuple(tuple(tuple(1)));
      assert.throws(() => small.encode(thrice), (err: unknown) => RpcError.is(err) && err.code === "INVALID_PARAMS" && /6/.test(err.message));
      assert.throws(() => small.decode(large.encode(thrice)), (err: unknown) => RpcError.is(err) && err.code === "RESOURCE_EXHAUSTED" && /maxDepth 6/.test(err.message));
    }
  });

  it("a large marked bytearray travels beside its frame like any large byte array, and arrives marked", () => {
    const bytes = markPython(new Uint8Array(200_000).map((_, i) => i & 0xff), "bytearray");
    const frame = msgpack.encodeSplit!([1, 7, bytes]);
    assert.ok(frame instanceof SplitFrame && frame.parts.includes(bytes), "the bytes are a piece of the frame as given");
    assert.deepEqual(frame.join(), new Uint8Array(msgpack.encode([1, 7, bytes])));
    const back = msgpack.decode(frame.join()) as [number, number, Uint8Array];
    assert.deepStrictEqual(back[2], bytes);
    assert.equal(pythonTypeOf(back[2]), "bytearray");
  });

  it("unmarked values are written byte for byte as before marks were carried", () => {
    const pinned: Array<[unknown, string, string]> = [
      [[0, 7, "add", [1, 2]], "940007a3616464920102", '[0,7,"add",[1,2]]'],
      [
        [1, 7, { rows: [[1, "a"], [2, "b"]], at: new Date(1_700_000_000_123), big: 2n ** 70n }],
        "930107de0003a4726f7773929201a1619202a162a26174d7ff1d5353006553f100a3626967d84200000000000000400000000000000000",
        '[1,7,{"rows":[[1,"a"],[2,"b"]],"at":{"$farcall:date":"2023-11-14T22:13:20.123Z"},"big":{"$farcall:bigint":"1180591620717411303424"}}]',
      ],
      [
        [new Map([[[1, 2], "pair"]]), new Set([[3]]), new Uint8Array([0, 255]), [[], [[]]]],
        "94d401009192920102a470616972d40200919103d50500ff92909190",
        '[{"$farcall:map":[[[1,2],"pair"]]},{"$farcall:set":[[3]]},{"$farcall:bytes":"AP8="},[[],[[]]]]',
      ],
    ];
    for (const [value, hex, text] of pinned) {
      assert.equal(Buffer.from(msgpack.encode(value)).toString("hex"), hex);
      assert.equal(new TextDecoder().decode(json.encode(value)), text);
    }
    // A copy of a tuple is a plain array, written as one.
    assert.equal(Buffer.from(msgpack.encode([...tuple(1, 2)])).toString("hex"), Buffer.from(msgpack.encode([1, 2])).toString("hex"));
  });

  it("plain JSON carries the natural value alone (a JSON-RPC client sees a list, an object or pairs, a string)", () => {
    const plain = createJsonCodec({ extended: false });
    const text = new TextDecoder().decode(plain.encode([tuple(1, 2), markPython(new Map([["a", 1]]), "OrderedDict"), markPython(new Set([1]), "frozenset"), markPython(new Uint8Array([1]), "bytearray")]));
    assert.equal(text, '[[1,2],{"a":1},[1],"AQ=="]');
  });

  it("plain JSON writes a Python date or datetime as Python's isoformat() does: its wall time, microseconds and offset, no Z on a naive one", () => {
    const plain = createJsonCodec({ extended: false });
    const minus315 = new FixedOffset(new Timedelta(-1, 74_700, 0));
    const utc = new FixedOffset(new Timedelta(0, 0, 0));
    const dates = [
      markPython(new Date(Date.UTC(2024, 1, 29, 23, 59, 58, 123)), { kind: "datetime", microsecond: 123_456, utcOffset: null }),
      markPython(new Date(Date.UTC(1999, 11, 31, 18, 29, 59, 999)), { kind: "datetime", microsecond: 999_999, utcOffset: ist }),
      markPython(new Date(Date.UTC(2001, 2, 4, 8, 21, 7)), { kind: "datetime", microsecond: 1, utcOffset: minus315 }),
      markPython(new Date(Date.UTC(2024, 1, 29)), "date"),
      markPython(new Date(Date.UTC(2024, 0, 1)), { kind: "datetime", microsecond: 0, utcOffset: utc }),
      new Date(Date.UTC(2024, 0, 1)),
    ];
    // The strings Python 3.11 prints for the same values' isoformat().
    assert.equal(
      new TextDecoder().decode(plain.encode(dates)),
      '["2024-02-29T23:59:58.123456","1999-12-31T23:59:59.999999+05:30","2001-03-04T05:06:07.000001-03:15","2024-02-29","2024-01-01T00:00:00+00:00","2024-01-01T00:00:00.000Z"]',
    );
  });
});
