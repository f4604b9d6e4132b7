import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createJsonCodec, MAX_BIGINT_CHARS, MAX_JSON_DEPTH } from "../../src/codecs/json-ext.js";
import { RpcError } from "../../src/core/errors.js";
import { Prng } from "../fixtures/hostile/prng.js";

const ext = createJsonCodec({ extended: true });
const plain = createJsonCodec({ extended: false });
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
const plainText = (v: unknown): string => text(plain.encode(v));
const extText = (v: unknown): string => text(ext.encode(v));
const roundTrip = (v: unknown): unknown => ext.decode(ext.encode(v));

function isRpcError(code: string): (e: unknown) => boolean {
  return (e: unknown) => RpcError.is(e) && e.code === code;
}

/** Nesting of a decoded value, counted as JSON levels (arrays and objects). */
function nesting(v: unknown): number {
  if (typeof v !== "object" || v === null) return 0;
  let deepest = 0;
  for (const x of Object.values(v)) deepest = Math.max(deepest, nesting(x));
  return deepest + 1;
}

describe("extended mode", () => {
  it("every extended type round-trips exactly", () => {
    const values: unknown[] = [
      new Date(1_700_000_000_123),
      0n, 5n, -3n, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 200n, -(3n ** 100n),
      new Map<unknown, unknown>([[1, "a"], ["k", { nested: new Map([[true, null]]) }], [2n, [1, 2]], [new Date(0), "date key"]]),
      new Set([1, "two", 3n, new Date(0), undefined]),
      new Uint8Array([0, 1, 255]), new Uint8Array(0), Buffer.from("bytes"),
      undefined,
      { a: undefined, b: [undefined, null] },
      [1, -1, 2 ** 40, 0.5, -1e300, Number.MAX_SAFE_INTEGER, "text", "", true, false, null],
      { deep: { deeper: { deepest: [new Set([new Map([["x", new Uint8Array([9])]])])] } } },
      NaN, Infinity, -Infinity, -0, [NaN, -0, Infinity],
      "unicode ✓ 🐍 \u0000 \n \"quoted\" \\ \ud800",
    ];
    for (const v of values) assert.deepStrictEqual(roundTrip(v), v);
    const invalid = roundTrip(new Date(NaN));
    assert.ok(invalid instanceof Date && Number.isNaN(invalid.getTime()), "an invalid Date stays an invalid Date");
    assert.ok(Buffer.isBuffer(roundTrip(Buffer.from("x"))));
    assert.ok(!Buffer.isBuffer(roundTrip(new Uint8Array([1]))));
  });

  it("errors round-trip with class, message, code and data but never a stack", () => {
    const t = roundTrip(new TypeError("bad")) as Error;
    assert.ok(t instanceof TypeError);
    assert.equal(t.message, "bad");
    assert.equal(t.stack, "TypeError: bad");
    const r = roundTrip(new RpcError("APP", "app failed", { id: 7, when: new Map([[1, new Date(0)]]) })) as RpcError;
    assert.ok(RpcError.is(r));
    assert.equal(r.code, "APP");
    assert.deepStrictEqual(r.data, { id: 7, when: new Map([[1, new Date(0)]]) });
    const custom = new Error("custom");
    custom.name = "ValidationError";
    assert.equal((roundTrip(custom) as Error).name, "ValidationError");
    assert.ok(!extText(new Error("x")).includes("at "), "no stack frames on the wire");
  });

  it("writes the tagged form exactly as documented", () => {
    assert.equal(extText(undefined), `{"$farcall:undefined":null}`);
    assert.equal(extText([NaN, Infinity, -Infinity, -0, 0]), `[{"$farcall:number":"NaN"},{"$farcall:number":"Infinity"},{"$farcall:number":"-Infinity"},{"$farcall:number":"-0"},0]`);
    assert.equal(extText(-12345678901234567890n), `{"$farcall:bigint":"-12345678901234567890"}`);
    assert.equal(extText(new Date(Date.UTC(2023, 10, 14, 22, 13, 20, 123))), `{"$farcall:date":"2023-11-14T22:13:20.123Z"}`);
    assert.equal(extText(new Date(NaN)), `{"$farcall:date":null}`);
    assert.equal(extText(new Uint8Array([0, 1, 255])), `{"$farcall:bytes":"AAH/"}`);
    assert.equal(extText(Buffer.from([0, 1, 255])), `{"$farcall:buffer":"AAH/"}`);
    assert.equal(extText(new DataView(new Uint8Array([0, 1, 255]).buffer)), `{"$farcall:bytes":"AAH/"}`, "a DataView travels as its bytes");
    assert.deepStrictEqual(roundTrip(new Uint8Array([0, 1, 255]).buffer), new Uint8Array([0, 1, 255]), "an ArrayBuffer arrives as a Uint8Array");
    assert.equal(extText(new Map([["a", 1]])), `{"$farcall:map":[["a",1]]}`);
    assert.equal(extText(new Set([1, 2])), `{"$farcall:set":[1,2]}`);
    assert.equal(extText(new RpcError("E", "m", 1)), `{"$farcall:error":{"name":"RpcError","message":"m","code":"E","data":1}}`);
    assert.equal(extText({ "$farcall:date": "x" }), `{"$farcall:escaped":{"$farcall:date":"x"}}`);
    assert.equal(extText({ a: 1, b: [1, "x"] }), `{"a":1,"b":[1,"x"]}`, "plain data is written as plain JSON");
  });

  it("a user object shaped like a tag survives, values inside it still decoded", () => {
    const shaped = [
      { "$farcall:date": "2023-01-01T00:00:00.000Z" },
      { "$farcall:escaped": { "$farcall:map": [] } },
      { "$farcall:unknown": new Map([[1, 2]]) },
      { "$farcall:set": [1], other: 2 },
    ];
    assert.deepStrictEqual(roundTrip(shaped), shaped);
    assert.equal(extText({ "$farcall:set": [1], other: 2 }), `{"$farcall:set":[1],"other":2}`, "two members are never a tag");
  });

  it("an unknown tag or a malformed tag payload is PARSE_ERROR", () => {
    for (const doc of [
      `{"$farcall:nope":1}`, `{"$farcall:undefined":0}`, `{"$farcall:number":"1"}`, `{"$farcall:bigint":"12a"}`,
      `{"$farcall:bigint":12}`, `{"$farcall:date":"yesterday"}`, `{"$farcall:bytes":"AA="}`, `{"$farcall:bytes":"A*=="}`,
      `{"$farcall:map":[[1]]}`, `{"$farcall:map":{}}`, `{"$farcall:set":{}}`, `{"$farcall:error":[]}`, `{"$farcall:escaped":1}`,
    ]) {
      assert.throws(() => ext.decode(utf8(doc)), isRpcError("PARSE_ERROR"), doc);
    }
  });

  it(`a bigint tag of ${MAX_BIGINT_CHARS} characters is accepted, one more is RESOURCE_EXHAUSTED`, () => {
    const at = "-" + "9".repeat(MAX_BIGINT_CHARS - 1);
    assert.equal(ext.decode(utf8(`{"$farcall:bigint":"${at}"}`)), BigInt(at));
    assert.throws(() => ext.decode(utf8(`{"$farcall:bigint":"${at}9"}`)), isRpcError("RESOURCE_EXHAUSTED"));
  });
});

describe("plain mode", () => {
  it("refuses NaN and the infinities, which JSON has no way to write, naming where they sit (never a quiet null)", () => {
    const plain = createJsonCodec({ extended: false });
    for (const [value, where] of [[[1, NaN], "value[1] (NaN)"], [{ a: { b: Infinity } }, "value.a.b (Infinity)"], [new Map([["k", [-Infinity]]]), "value.k[0] (-Infinity)"]] as const) {
      assert.throws(() => plain.encode(value), (e: unknown) => RpcError.is(e) && e.code === "INVALID_PARAMS" && e.message.startsWith(where), where);
    }
  });

  it("writes values JSON cannot carry as the comment table says", () => {
    assert.equal(plainText(new Date(Date.UTC(2023, 10, 14, 22, 13, 20, 123))), `"2023-11-14T22:13:20.123Z"`);
    assert.equal(plainText(new Date(NaN)), "null");
    assert.equal(plainText([5n, 2n ** 53n - 1n, -(2n ** 53n) + 1n, 2n ** 53n, -(2n ** 64n)]), `[5,9007199254740991,-9007199254740991,"9007199254740992","-18446744073709551616"]`);
    assert.equal(plainText(new Uint8Array([0, 1, 255])), `"AAH/"`);
    assert.equal(plainText(Buffer.from([0, 1, 255])), `"AAH/"`);
    assert.equal(plainText(new DataView(new Uint8Array([7, 0, 1, 255]).buffer, 1)), `"AAH/"`);
    assert.equal(plainText(new Uint8Array([0, 1, 255]).buffer), `"AAH/"`);
    assert.equal(plainText(new Int16Array([-1, 2])), `[-1,2]`);
    assert.equal(plainText(new BigInt64Array([1n, -(2n ** 63n)])), `[1,"-9223372036854775808"]`);
    assert.equal(plainText(new Map([["a", 1], ["__proto__", 2]])), `{"a":1,"__proto__":2}`);
    assert.equal(plainText(new Map<unknown, unknown>([[1, "a"], ["b", 2n]])), `[[1,"a"],["b",2]]`);
    assert.equal(plainText(new Set([1, "x", 3n])), `[1,"x",3]`);
    assert.equal(plainText(new TypeError("bad")), `{"name":"TypeError","message":"bad"}`);
    assert.equal(plainText(new RpcError("E", "m", { n: 1n })), `{"name":"RpcError","message":"m","code":"E","data":{"n":1}}`);
    assert.equal(plainText([undefined, () => 1, Symbol("s")]), `[null,null,null]`);
    assert.equal(plainText({ a: undefined, f: () => 1, b: 1 }), `{"b":1}`);
    assert.equal(plainText(undefined), "null");
    assert.equal(plainText([-0]), `[0]`);
    assert.equal(plainText({ toJSON: () => ({ big: 1n }) }), `{"big":1}`);
    assert.equal(plainText({ "$farcall:date": "x" }), `{"$farcall:date":"x"}`, "plain mode has no tags and escapes nothing");
  });

  it("decodes standard JSON as JSON.parse does, tags included as ordinary objects", () => {
    assert.deepStrictEqual(plain.decode(utf8(`{"a":[1,"x",null,true],"$farcall:date":"2023"}`)), { a: [1, "x", null, true], "$farcall:date": "2023" });
    assert.deepStrictEqual(plain.decode(utf8(`{"$farcall:bigint":"1"}`)), { "$farcall:bigint": "1" });
  });

  it("refuses Python's non-standard NaN and Infinity tokens with PARSE_ERROR; a literal beyond the double range is PARSE_ERROR naming where it sits", () => {
    for (const doc of ["NaN", "Infinity", "-Infinity", "[1, NaN]", `{"x": Infinity}`]) {
      assert.throws(() => plain.decode(utf8(doc)), isRpcError("PARSE_ERROR"), doc);
      assert.throws(() => ext.decode(utf8(doc)), isRpcError("PARSE_ERROR"), doc);
    }
    for (const [doc, at] of [["[1e400]", "\\[0\\]"], [`{"params": [1, {"x": -1e400}]}`, "params\\[1\\]\\.x"], [`{"a": ${"9".repeat(1_000_000)}}`, "a"], ["1E+999", "the document"]]) {
      for (const codec of [plain, createJsonCodec({ extended: true })]) {
        assert.throws(() => codec.decode(utf8(doc)), (e: unknown) => RpcError.is(e) && e.code === "PARSE_ERROR" && new RegExp(`number at ${at} is outside the double range`).test(e.message), doc.slice(0, 40));
      }
    }
    assert.deepStrictEqual(plain.decode(utf8(`["1e400", "1e-400", 1e300, 0e-400, 5e-324]`)), ["1e400", "1e-400", 1e300, 0, 5e-324], "strings, a large finite number, a zero with a long exponent and the smallest double are values");
    assert.equal(plain.decode(utf8("18446744073709551616")), 18446744073709552000, "integers beyond 2^53 arrive as the nearest double");
  });
});

describe("numbers too small for a double", () => {
  it("a non-zero literal that would read as 0 is PARSE_ERROR naming the literal and where it sits, never a quiet 0", () => {
    for (const [doc, literal, at] of [["[1e-400]", "1e-400", 1], [`{"x": "1e-400", "y": -2.5E-999}`, "-2.5E-999", 21], [`[0.${"0".repeat(400)}1]`, `0.${"0".repeat(35)}...`, 1]] as const) {
      for (const codec of [plain, ext]) {
        assert.throws(
          () => codec.decode(utf8(doc)),
          (e: unknown) => RpcError.is(e) && e.code === "PARSE_ERROR" && e.message.includes(`number ${literal} at character ${at} is not zero but too small for a double`),
          doc.slice(0, 40),
        );
      }
    }
  });
});

describe("both modes", () => {
  it("invalid JSON and invalid UTF-8 are PARSE_ERROR; a byte-order mark is skipped", () => {
    for (const codec of [plain, ext]) {
      for (const doc of ["", "{", `{"a":1,}`, "[1 2]", "'x'", `{"a":1} {"b":2}`, `"unterminated`]) {
        assert.throws(() => codec.decode(utf8(doc)), isRpcError("PARSE_ERROR"), JSON.stringify(doc));
      }
      assert.throws(() => codec.decode(new Uint8Array([0x22, 0xff, 0xfe, 0x22])), isRpcError("PARSE_ERROR"));
      assert.deepStrictEqual(codec.decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x5b, 0x31, 0x5d])), [1]);
    }
  });

  it("decodes a range of a larger buffer", () => {
    const bytes = utf8(`xx[1,{"$farcall:bigint":"2"}]yy`);
    assert.deepStrictEqual(ext.decode(bytes, 2, bytes.length - 2), [1, 2n]);
    assert.deepStrictEqual(plain.decode(bytes, 2, bytes.length - 2), [1, { "$farcall:bigint": "2" }]);
  });

  it("a cyclic value is refused with INVALID_PARAMS, not a stack overflow", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const codec of [plain, ext]) assert.throws(() => codec.encode(cyclic), isRpcError("INVALID_PARAMS"));
  });

  it("names itself json or json-ext, and refuses bad options naming them", () => {
    assert.equal(plain.name, "json");
    assert.equal(ext.name, "json-ext");
    assert.throws(() => createJsonCodec({ extended: false, maxDepth: 0 }), (e: unknown) => e instanceof RangeError && /maxDepth/.test(e.message));
    assert.throws(() => createJsonCodec({ extended: false, maxDepth: MAX_JSON_DEPTH + 1 }), (e: unknown) => e instanceof RangeError && /maxDepth/.test(e.message));
    assert.throws(() => createJsonCodec({ extended: "yes" as unknown as boolean }), (e: unknown) => e instanceof TypeError && /extended/.test(e.message));
  });
});

describe("the nesting-depth limit", () => {
  const max = 8;
  const small = { plain: createJsonCodec({ extended: false, maxDepth: max }), ext: createJsonCodec({ extended: true, maxDepth: max }) };
  const arrays = (n: number): string => "[".repeat(n) + "]".repeat(n);
  const objects = (n: number): string => `{"a":`.repeat(n - 1) + "{}" + "}".repeat(n - 1);

  it("accepts exactly maxDepth levels and refuses maxDepth + 1 with RESOURCE_EXHAUSTED", () => {
    for (const codec of [small.plain, small.ext]) {
      assert.equal(nesting(codec.decode(utf8(arrays(max)))), max);
      assert.equal(nesting(codec.decode(utf8(objects(max)))), max);
      assert.throws(() => codec.decode(utf8(arrays(max + 1))), isRpcError("RESOURCE_EXHAUSTED"));
      assert.throws(() => codec.decode(utf8(objects(max + 1))), isRpcError("RESOURCE_EXHAUSTED"));
      assert.throws(() => codec.decode(utf8(`[1, {"x": ${arrays(max)}}]`)), isRpcError("RESOURCE_EXHAUSTED"));
    }
  });

  it("the default limit is 64 and states value and limit", () => {
    assert.equal(nesting(plain.decode(utf8(arrays(64)))), 64);
    assert.throws(() => plain.decode(utf8(arrays(65))), (e: unknown) => RpcError.is(e) && e.code === "RESOURCE_EXHAUSTED" && /maxDepth 64/.test(e.message));
  });

  it(`the highest allowed maxDepth, ${MAX_JSON_DEPTH}, encodes and decodes at that depth in both modes`, () => {
    for (const extended of [false, true]) {
      const deepCodec = createJsonCodec({ extended, maxDepth: MAX_JSON_DEPTH });
      let v: unknown = new Map([[1, 2n]]);
      for (let i = extended ? 4 : 2; i < MAX_JSON_DEPTH; i++) v = [v]; // the Map takes 4 levels tagged, 2 plain
      const bytes = deepCodec.encode(v);
      assert.equal(nesting(JSON.parse(text(bytes))), MAX_JSON_DEPTH);
      assert.deepStrictEqual(deepCodec.decode(bytes), extended ? v : JSON.parse(text(bytes)));
      assert.throws(() => deepCodec.encode([v]), isRpcError("INVALID_PARAMS"));
    }
  });

  it("refuses 100,000 nested arrays before parsing them", () => {
    assert.throws(() => plain.decode(utf8(arrays(100_000))), isRpcError("RESOURCE_EXHAUSTED"));
  });

  it("brackets inside strings do not count, whatever the escapes around them", () => {
    const strings = [`"[[[[[[[[[[[[{{{{{{{{"`, `"\\"[[[[[[[[[[[[[["`, `"\\\\"`, `"a\\\\\\"[[[[[[[[[[[["`, `"\\u005b[[[[[[[[[[[["`];
    for (const s of strings) {
      const doc = "[".repeat(max - 1) + `[${s}]` + "]".repeat(max - 1);
      for (const codec of [small.plain, small.ext]) assert.equal(nesting(codec.decode(utf8(doc))), max, doc);
    }
    // After `"\\"` the string is closed, so the brackets that follow are real.
    const closed = `["\\\\", ${arrays(max)}]`;
    assert.throws(() => small.plain.decode(utf8(closed)), isRpcError("RESOURCE_EXHAUSTED"));
  });

  it("the encoder refuses what the decoder would, tags' own levels included", () => {
    let nested: unknown = [];
    for (let i = 1; i < max; i++) nested = [nested];
    for (const codec of [small.plain, small.ext]) {
      assert.equal(nesting(codec.decode(codec.encode(nested))), max);
      assert.throws(() => codec.encode([nested]), isRpcError("INVALID_PARAMS"));
    }
    // A Map's entries sit three JSON levels below it in extended mode, one in plain mode.
    let deepest: unknown = "x";
    for (let i = 0; i < max - 3; i++) deepest = [deepest];
    const map = new Map([[1, deepest]]);
    assert.deepStrictEqual(small.ext.decode(small.ext.encode(map)), map);
    assert.throws(() => small.ext.encode([map]), isRpcError("INVALID_PARAMS"));
    assert.throws(() => small.ext.encode({ a: [new Set([[[[[[[1]]]]]]])] }), isRpcError("INVALID_PARAMS"));
    assert.equal(nesting(JSON.parse(text(small.plain.encode([map])))), max);
  });

  it("a Date or bytes at the deepest level is a string in plain mode and fits", () => {
    let v: unknown = [new Date(0), new Uint8Array(1)];
    for (let i = 1; i < max; i++) v = [v];
    assert.equal(nesting(JSON.parse(text(small.plain.encode(v)))), max);
    assert.throws(() => small.ext.encode(v), isRpcError("INVALID_PARAMS"));
  });
});

describe("__proto__ keys", () => {
  it("stay own properties in both modes and never change a prototype", () => {
    const docs = [
      `{"__proto__": {"polluted": 1}}`,
      `{"__proto__": {"$farcall:date": "2023-01-01T00:00:00.000Z"}}`,
      `{"$farcall:escaped": {"__proto__": {"$farcall:set": [1]}}}`,
      `[{"__proto__": {"$farcall:map": [["__proto__", {"polluted": 1}]]}}]`,
    ];
    for (const codec of [plain, ext]) {
      for (const doc of docs) {
        const out = codec.decode(utf8(doc)) as Record<string, unknown>;
        const obj = (Array.isArray(out) ? out[0] : out) as Record<string, unknown>;
        assert.equal(Object.getPrototypeOf(obj), Object.prototype, doc);
        assert.ok(Object.prototype.hasOwnProperty.call(obj, "__proto__") || Object.prototype.hasOwnProperty.call(obj, "$farcall:escaped"), doc);
        assert.equal(({} as Record<string, unknown>).polluted, undefined);
      }
    }
    const decoded = ext.decode(utf8(docs[1])) as Record<string, unknown>;
    assert.ok(Object.getOwnPropertyDescriptor(decoded, "__proto__")?.value instanceof Date);
    const escaped = ext.decode(utf8(docs[2])) as Record<string, unknown>;
    assert.deepStrictEqual(Object.getOwnPropertyDescriptor(escaped, "__proto__")?.value, new Set([1]));
  });

  it("a value with an own __proto__ member round-trips with it", () => {
    const v = JSON.parse(`{"__proto__": {"when": 1}, "b": 2}`) as Record<string, unknown>;
    (v as { b: unknown }).b = new Date(0);
    const out = roundTrip(v) as Record<string, unknown>;
    assert.deepStrictEqual(Object.getOwnPropertyDescriptor(out, "__proto__")?.value, { when: 1 });
    assert.equal(Object.getPrototypeOf(out), Object.prototype);
  });
});

describe("fuzzing", () => {
  // JSON-ish fragments weighted towards what breaks scanners: quotes, escapes, brackets, tags.
  const FRAGMENTS = [
    "[", "]", "{", "}", "[", "{", "]", "}", `"`, `\\`, `\\"`, `\\\\`, ",", ":", " ", "1", "-0", "1e400", "null", "true",
    `"a"`, `"$farcall:`, `date"`, `map"`, `bigint"`, `undefined"`, `escaped"`, "NaN", "\\u", "005b", "\u00e9", "\ud83d\udc0d",
  ];

  it("random JSON-ish text only ever fails with PARSE_ERROR or RESOURCE_EXHAUSTED (seeded, bounded)", () => {
    const seed = 0x5eed_1234;
    const rng = new Prng(seed);
    const codecs = [createJsonCodec({ extended: false, maxDepth: 4 }), createJsonCodec({ extended: true, maxDepth: 4 })];
    for (let round = 0; round < 20_000; round++) {
      let doc = "";
      const n = rng.int(1, 24);
      for (let i = 0; i < n; i++) doc += rng.pick(FRAGMENTS);
      const bytes = rng.next() < 0.05 ? rng.bytes(rng.int(1, 16)) : utf8(doc);
      for (const codec of codecs) {
        try {
          const out = codec.decode(bytes);
          assert.ok(nesting(out) <= 4, `seed ${seed} round ${round}: accepted ${JSON.stringify(doc)} nests too deep`);
        } catch (e) {
          assert.ok(RpcError.is(e) && (e.code === "PARSE_ERROR" || e.code === "RESOURCE_EXHAUSTED"), `seed ${seed} round ${round}: ${JSON.stringify(doc)} threw ${String(e)}`);
        }
      }
    }
  });

  it("mutated extended documents only ever fail with PARSE_ERROR or RESOURCE_EXHAUSTED (seeded, bounded)", () => {
    const seed = 0xbad_5eed;
    const rng = new Prng(seed);
    const base = ext.encode({ m: new Map<unknown, unknown>([[new Date(0), [1n, new Set(["x"])]]]), b: new Uint8Array([1, 2, 3]), u: [undefined, NaN], e: new RpcError("E", "m", { d: -0 }) });
    for (let round = 0; round < 20_000; round++) {
      const bytes = Uint8Array.from(base);
      for (let k = rng.int(1, 3); k > 0; k--) bytes[rng.int(0, bytes.length - 1)] = rng.pick([0x22, 0x5b, 0x5d, 0x7b, 0x7d, 0x5c, 0x2c, 0x3a, 0x30, 0x61, rng.byte()]);
      try {
        ext.decode(bytes);
      } catch (e) {
        assert.ok(RpcError.is(e) && (e.code === "PARSE_ERROR" || e.code === "RESOURCE_EXHAUSTED"), `seed ${seed} round ${round}: threw ${String(e)}`);
      }
    }
  });
});
