import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Unpackr } from "msgpackr";
import { createMsgpackCodec } from "../../src/codecs/msgpack.js";
import { MAX_BIGINT_BYTES, scanMsgpack } from "../../src/codecs/msgpack-limits.js";
import { RpcError } from "../../src/core/errors.js";
import { Prng } from "../fixtures/hostile/prng.js";

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");

/** `n` nested one-element arrays around the integer 1: depth n. */
function nestedArrays(n: number): Buffer {
  return Buffer.concat([Buffer.alloc(n, 0x91), Buffer.from([0x01])]);
}

/** `n` nested one-entry maps {"a": ...} around the integer 1: depth n. */
function nestedMaps(n: number): Buffer {
  const level = Buffer.from([0x81, 0xa1, 0x61]);
  return Buffer.concat([...Array.from({ length: n }, () => level), Buffer.from([0x01])]);
}

/** The value of nestedArrays(n), built as a JavaScript value. */
function nestedValue(n: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < n; i++) v = [v];
  return v;
}

/** Asserts `fn` throws an RpcError with `code`, and returns it. */
function rejectsWith(code: string, fn: () => unknown, what?: string): RpcError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught !== undefined, `${what ?? "decode"} should throw ${code}`);
  assert.ok(RpcError.is(caught), `${what ?? "decode"} threw a ${String(caught)}, not an RpcError`);
  assert.equal(caught.code, code, `${what ?? "decode"}: ${caught.message}`);
  return caught;
}

/** A document using every type the codec carries. */
function richValue(): unknown {
  return {
    ints: [0, 1, 127, 128, 255, 65536, -1, -33, -129, -40000, 2 ** 31, -(2 ** 31)],
    floats: [0.5, -1.25, 1e300, Number.MAX_SAFE_INTEGER],
    strings: ["", "a", "x".repeat(40), "y".repeat(300), "é漢字"],
    map: new Map<unknown, unknown>([[1, "one"], ["k", [true, false, null]]]),
    set: new Set([1, "a", 2.5]),
    date: new Date(1700000000123),
    bigints: [2n ** 60n, -(2n ** 70n), 2n ** 200n],
    undef: undefined,
    bytes: Buffer.from([1, 2, 3]),
    typed: new Uint8Array([4, 5, 6]),
    floats64: new Float64Array([1.5, -2]),
    error: new TypeError("bad"),
    nested: { a: { b: { c: [[], {}, [[1]]] } } },
  };
}

describe("scanMsgpack and the msgpack codec's decode", () => {
  describe("depth", () => {
    it("a document nested exactly maxDepth deep is accepted; one level more is refused with RESOURCE_EXHAUSTED", () => {
      for (const maxDepth of [1, 4, 64, 1000]) {
        const codec = createMsgpackCodec({ maxDepth });
        assert.equal(scanMsgpack(nestedArrays(maxDepth), maxDepth), undefined, `arrays at maxDepth ${maxDepth}`);
        assert.equal(scanMsgpack(nestedMaps(maxDepth), maxDepth), undefined, `maps at maxDepth ${maxDepth}`);
        assert.deepEqual(codec.decode(nestedArrays(maxDepth)), nestedValue(maxDepth));
        for (const bytes of [nestedArrays(maxDepth + 1), nestedMaps(maxDepth + 1)]) {
          const failure = scanMsgpack(bytes, maxDepth);
          assert.ok(failure, `depth ${maxDepth + 1} refused`);
          assert.equal(failure.limit, true);
          const err = rejectsWith("RESOURCE_EXHAUSTED", () => codec.decode(bytes));
          assert.match(err.message, new RegExp(`maxDepth ${maxDepth}\\b`));
        }
      }
    });

    it("the default limit is 64 levels", () => {
      const codec = createMsgpackCodec();
      assert.deepEqual(codec.decode(nestedArrays(64)), nestedValue(64));
      rejectsWith("RESOURCE_EXHAUSTED", () => codec.decode(nestedArrays(65)));
    });

    it("tagged values count toward the depth: a Set two levels, a Map three, an Error two", () => {
      const codec = createMsgpackCodec({ maxDepth: 8 });
      const setOf = (inner: Buffer): Buffer => Buffer.concat([hex("d4 02 00 91"), inner]); // tag, [inner]
      const mapOf = (inner: Buffer): Buffer => Buffer.concat([hex("d4 01 00 91 92 01"), inner]); // tag, [[1, inner]]
      const errorOf = (inner: Buffer): Buffer => Buffer.concat([hex("d4 03 00 81 a4 64 61 74 61"), inner]); // tag, {data: inner}
      assert.ok(codec.decode(setOf(setOf(setOf(nestedArrays(2))))) instanceof Set);
      rejectsWith("RESOURCE_EXHAUSTED", () => codec.decode(setOf(setOf(setOf(nestedArrays(3))))), "Sets 9 deep");
      assert.ok(codec.decode(mapOf(mapOf(nestedArrays(2)))) instanceof Map);
      rejectsWith("RESOURCE_EXHAUSTED", () => codec.decode(mapOf(mapOf(nestedArrays(3)))), "Maps 9 deep");
      assert.ok(codec.decode(errorOf(errorOf(errorOf(nestedArrays(2))))) instanceof Error);
      rejectsWith("RESOURCE_EXHAUSTED", () => codec.decode(errorOf(errorOf(errorOf(nestedArrays(3))))), "Errors 9 deep");
    });

    it("10,000 nested arrays are refused without recursing", () => {
      rejectsWith("RESOURCE_EXHAUSTED", () => createMsgpackCodec().decode(nestedArrays(10_000)));
    });
  });

  describe("declared sizes", () => {
    it("an array32 declaring 2^31 elements in 5 bytes is refused by the scan, before the decoder allocates", () => {
      const bytes = hex("dd 80 00 00 00");
      const failure = scanMsgpack(bytes, 64);
      assert.ok(failure);
      assert.equal(failure.limit, false);
      assert.match(failure.message, /2147483648 elements but only 0 bytes remain/);
      rejectsWith("PARSE_ERROR", () => createMsgpackCodec().decode(bytes));
    });

    it("maps, arrays, strings, binaries and extensions that declare more than the bytes left are refused with PARSE_ERROR", () => {
      const codec = createMsgpackCodec();
      const lies = {
        "map32 of 2^32-1 entries": "df ff ff ff ff 01 01",
        "map16 of 65535 entries": "de ff ff 01 01",
        "array16 of 65535 elements": "dc ff ff 01 02 03",
        "fixarray of 15 elements holding 2": "9f 01 02",
        "str32 of 4 GiB": "db ff ff ff ff 61 62",
        "bin32 of 4 GiB": "c6 ff ff ff ff 00",
        "bin8 of 255 bytes holding 1": "c4 ff 00",
        "ext32 of 4 GiB": "c9 ff ff ff ff 74 00",
        "fixstr of 31 bytes holding 1": "bf 61",
        "array32 nested in an array": "91 dd 00 01 00 00 01",
      };
      for (const [what, bytes] of Object.entries(lies)) {
        rejectsWith("PARSE_ERROR", () => codec.decode(hex(bytes)), what);
      }
    });

    it("every proper prefix of a valid document is refused as truncated", () => {
      const codec = createMsgpackCodec();
      const bytes = codec.encode(richValue());
      assert.deepEqual(codec.decode(bytes), richValue(), "the whole document round-trips");
      for (let n = 0; n < bytes.length; n++) {
        const err = rejectsWith("PARSE_ERROR", () => codec.decode(bytes.subarray(0, n)), `prefix of ${n} of ${bytes.length} bytes`);
        assert.match(err.message, /truncated|elements but only/);
      }
    });

    it("bytes after the document are refused", () => {
      const codec = createMsgpackCodec();
      const one = codec.encode([1, "two", { three: 3 }]);
      const err = rejectsWith("PARSE_ERROR", () => codec.decode(Buffer.concat([one, hex("00")])));
      assert.match(err.message, /1 trailing bytes/);
      rejectsWith("PARSE_ERROR", () => codec.decode(Buffer.concat([one, one])), "two documents back to back");
    });

    it("an empty input is refused as truncated", () => {
      rejectsWith("PARSE_ERROR", () => createMsgpackCodec().decode(new Uint8Array(0)));
    });
  });

  describe("extensions", () => {
    it("msgpackr's record (0x72), pointer (0x70) and regexp (0x78) extensions are refused with PARSE_ERROR", () => {
      const codec = createMsgpackCodec();
      const plain = new Unpackr({ mapsAsObjects: true });
      // Record definition 0x40 with keys [a, b], then a record of it: {a: 1, b: 2} to a plain msgpackr.
      const record = hex("d4 72 40 92 a1 61 a1 62 01 02");
      assert.deepEqual(plain.unpack(record), { a: 1, b: 2 }, "the bytes mean a record to msgpackr");
      // RegExp extension: fixext1 0x78, then [source, flags].
      const regexp = hex("d4 78 00 92 a3 61 2a 62 a1 67");
      assert.ok(plain.unpack(regexp) instanceof RegExp, "the bytes mean a RegExp to msgpackr");
      // Pointer extension (structured clone back-reference to id 0).
      const pointer = hex("d6 70 00 00 00 00");
      const twoByteRecord = hex("d5 72 40 00 91 a1 61 01");
      for (const [what, bytes] of Object.entries({ record, regexp, pointer, twoByteRecord })) {
        const err = rejectsWith("PARSE_ERROR", () => codec.decode(bytes), what);
        assert.match(err.message, /extension type \d+ of \d+ bytes is not accepted/);
        rejectsWith("PARSE_ERROR", () => codec.decode(Buffer.concat([hex("92 01"), bytes])), `${what} inside an array`);
      }
    });

    it("msgpackr's own Set (0x73), Error (0x65), id (0x69) and bundle (0x62) extensions and unknown types are refused", () => {
      const codec = createMsgpackCodec();
      const refused = {
        set: "d4 73 00 91 01",
        error: "d4 65 00 93 a5 45 72 72 6f 72 a1 78 c0",
        id: "d6 69 00 00 00 01 90",
        bundle: "d6 62 00 00 00 00 c0",
        "unknown fixext4 type 0x10": "d6 10 00 00 00 00",
        "unknown ext8 type -2": "c7 01 fe 00",
        "timestamp of 2 bytes": "d5 ff 00 00",
        "undefined of 2 bytes": "d5 00 00 00",
        "map tag as ext8": "c7 01 01 00 90",
        "empty typed array": "c7 00 74",
      };
      for (const [what, bytes] of Object.entries(refused)) {
        rejectsWith("PARSE_ERROR", () => codec.decode(hex(bytes)), what);
      }
    });

    it(`a bigint extension of MAX_BIGINT_BYTES (${MAX_BIGINT_BYTES}) bytes decodes; one byte more is refused with RESOURCE_EXHAUSTED`, () => {
      const codec = createMsgpackCodec();
      const bigint = (n: number): Buffer => {
        const body = Buffer.alloc(n, 0xff);
        body[0] = 0x01;
        const head = Buffer.from([0xc8, 0, 0, 0x42]);
        head.writeUInt16BE(n, 1);
        return Buffer.concat([head, body]);
      };
      const value = codec.decode(bigint(MAX_BIGINT_BYTES));
      assert.equal(typeof value, "bigint");
      assert.equal(value, BigInt(`0x01${"ff".repeat(MAX_BIGINT_BYTES - 1)}`));
      const err = rejectsWith("RESOURCE_EXHAUSTED", () => codec.decode(bigint(MAX_BIGINT_BYTES + 1)));
      assert.match(err.message, new RegExp(`${MAX_BIGINT_BYTES + 1} bytes`));
      rejectsWith("RESOURCE_EXHAUSTED", () => codec.decode(Buffer.concat([hex("92 00"), bigint(60_000)])), "a 60 kB bigint inside an array");
    });

    it("the never-used byte 0xc1 is refused with PARSE_ERROR, alone and inside containers", () => {
      const codec = createMsgpackCodec();
      for (const bytes of ["c1", "91 c1", "81 a1 61 c1", "81 c1 01", "92 01 c1"]) {
        const err = rejectsWith("PARSE_ERROR", () => codec.decode(hex(bytes)), bytes);
        assert.match(err.message, /0xc1/);
      }
    });
  });

  describe("encode stays within what decode accepts", () => {
    it("encode refuses with INVALID_PARAMS a value nested deeper than its own decode accepts", () => {
      const maxDepth = 8;
      const codec = createMsgpackCodec({ maxDepth });
      assert.deepEqual(codec.decode(codec.encode(nestedValue(maxDepth))), nestedValue(maxDepth));
      for (let n = maxDepth + 1; n <= maxDepth + 4; n++) {
        rejectsWith("INVALID_PARAMS", () => codec.encode(nestedValue(n)), `encode of ${n} nested arrays`);
      }
    });

    it("encode refuses with INVALID_PARAMS a bigint wider than its own decode accepts", () => {
      const codec = createMsgpackCodec();
      const wide = 2n ** BigInt(8 * MAX_BIGINT_BYTES + 64);
      rejectsWith("INVALID_PARAMS", () => codec.encode(wide), "encode of a bigint over MAX_BIGINT_BYTES");
    });
  });

  describe("fuzzing (seeded)", () => {
    /** Decodes `bytes`; anything but a value or an RpcError PARSE_ERROR/RESOURCE_EXHAUSTED fails the test. */
    function decodeOrRefuse(codec: ReturnType<typeof createMsgpackCodec>, bytes: Uint8Array, what: string): "decoded" | "refused" {
      try {
        codec.decode(bytes);
        return "decoded";
      } catch (err) {
        assert.ok(RpcError.is(err), `${what}: threw ${String(err)} for ${Buffer.from(bytes).toString("hex")}`);
        assert.ok(
          err.code === "PARSE_ERROR" || err.code === "RESOURCE_EXHAUSTED",
          `${what}: code ${String(err.code)} (${err.message}) for ${Buffer.from(bytes).toString("hex")}`,
        );
        return "refused";
      }
    }

    /** Bytes a mutation likes to plant: container and extension headers, big lengths. */
    const INTERESTING = [0x00, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc4, 0xc7, 0xc8, 0xc9, 0xd4, 0xd5, 0xd8, 0xdc, 0xdd, 0xde, 0xdf, 0xff, 0x42, 0x72, 0x70, 0x74, 0x78, 0x01, 0x02, 0x03];

    it("random byte strings decode or fail with PARSE_ERROR or RESOURCE_EXHAUSTED, never anything else (20,000 inputs)", { timeout: 30_000 }, () => {
      const rng = new Prng(0xfa2ca11);
      const codec = createMsgpackCodec({ maxDepth: 16 });
      const started = Date.now();
      const outcomes = { decoded: 0, refused: 0 };
      for (let i = 0; i < 20_000; i++) {
        const bytes = rng.bytes(rng.int(0, 64));
        outcomes[decodeOrRefuse(codec, bytes, `random input ${i}`)]++;
      }
      assert.ok(outcomes.decoded > 0 && outcomes.refused > 0, `both outcomes seen: ${JSON.stringify(outcomes)}`);
      assert.ok(Date.now() - started < 20_000, "decoding stays fast");
    });

    it("mutations of valid documents decode or fail with PARSE_ERROR or RESOURCE_EXHAUSTED, never anything else (20,000 inputs)", { timeout: 30_000 }, () => {
      const rng = new Prng(0xdecaf);
      const codec = createMsgpackCodec({ maxDepth: 16 });
      const seeds = [
        codec.encode(richValue()),
        codec.encode([0, 1, "kv.get", ["key"], { timeout: 100, metadata: { a: 1 } }]),
        codec.encode([2, 7, { code: "INTERNAL", message: "boom", data: [1, 2] }]),
        codec.encode(new Map<unknown, unknown>([[new Set([1]), new Map([[2, new Date(0)]])]])),
        nestedArrays(16),
      ];
      const started = Date.now();
      const outcomes = { decoded: 0, refused: 0 };
      for (let i = 0; i < 20_000; i++) {
        const doc = Buffer.from(rng.pick(seeds));
        let bytes: Buffer = doc;
        const mutations = rng.int(1, 4);
        for (let m = 0; m < mutations; m++) {
          const at = rng.int(0, Math.max(0, bytes.length - 1));
          switch (rng.int(0, 5)) {
            case 0: // flip a bit
              if (bytes.length > 0) bytes[at] ^= 1 << rng.int(0, 7);
              break;
            case 1: // plant an interesting byte
              if (bytes.length > 0) bytes[at] = rng.pick(INTERESTING);
              break;
            case 2: // insert bytes
              bytes = Buffer.concat([bytes.subarray(0, at), rng.bytes(rng.int(1, 8)), bytes.subarray(at)]);
              break;
            case 3: // delete bytes
              bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + rng.int(1, 8))]);
              break;
            case 4: // truncate
              bytes = bytes.subarray(0, at);
              break;
            case 5: // big-endian length bytes of 0xff
              for (let k = 0; k < 4 && at + k < bytes.length; k++) bytes[at + k] = 0xff;
              break;
          }
        }
        outcomes[decodeOrRefuse(codec, bytes, `mutation ${i}`)]++;
      }
      assert.ok(outcomes.decoded > 0 && outcomes.refused > 0, `both outcomes seen: ${JSON.stringify(outcomes)}`);
      assert.ok(Date.now() - started < 20_000, "decoding stays fast");
    });

    it("decoding hostile input pollutes no prototype", () => {
      const codec = createMsgpackCodec();
      const doc = codec.decode(hex("82 a9 5f 5f 70 72 6f 74 6f 5f 5f 81 a5 61 64 6d 69 6e c3 a1 78 01")) as Record<string, unknown>;
      assert.equal(Object.getPrototypeOf(doc), Object.prototype);
      assert.equal(doc.admin, undefined);
      assert.equal(({} as Record<string, unknown>).admin, undefined);
    });
  });
});
