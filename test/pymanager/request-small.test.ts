/**
 * The small request path (src/pymanager/pickle/request-small.ts) against the general
 * decoder: for every request it reads it must give what decodePickle gives, and it must
 * leave everything else (other shapes, truncated or altered bytes) to decodePickle.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { decodePickle } from "../../src/pymanager/pickle/pickle.js";
import { decodeSmallRequest, NOT_SMALL_REQUEST } from "../../src/pymanager/pickle/request-small.js";
import { isTuple } from "../../src/pymanager/pickle/python-types.js";

/** Requests as CPython 3.6 (protocol 3) and 3.11 (protocol 4) write them (multiprocessing's ForkingPickler). */
const CPYTHON = [
  // CPython 3.6
  "800328580a000000376630613162326333647100580b0000005f5f7365746974656d5f5f71014b024d39308671027d71037471042e",
  "800328580a000000376630613162326333647100580b0000005f5f6765746974656d5f5f71014b038571027d71037471042e",
  "800328580a00000037663061316232633364710058030000007075747101284a90eefeff473ff80000000000004e8889580600000068c3a96c6c6f71028a090000000000000000407471037d71047471052e",
  "8003284e5806000000696e637265667100580a0000003766306131623263336471018571027d71037471042e",
  "800328580a00000037663061316232633364710058030000006765747101297d71027471032e",
  // CPython 3.11
  "8004952800000000000000288c0a37663061316232633364948c0b5f5f7365746974656d5f5f944b024d393086947d9474942e",
  "8004952500000000000000288c0a37663061316232633364948c0b5f5f6765746974656d5f5f944b0385947d9474942e",
  "8004954100000000000000288c0a37663061316232633364948c0370757494284a90eefeff473ff80000000000004e88898c0668c3a96c6c6f948a0900000000000000004074947d9474942e",
  "8004951f00000000000000284e8c06696e63726566948c0a376630613162326333649485947d9474942e",
  "8004951a00000000000000288c0a37663061316232633364948c0367657494297d9474942e",
];

const OPTIONS = { globals: { "multiprocessing.managers": {} } };

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

/** Both decoders on `bytes`: the small one's answer, and the general one's (or its error). */
function both(bytes: Uint8Array): { small: unknown; general: unknown; threw: boolean } {
  const small = decodeSmallRequest(bytes);
  try {
    return { small, general: decodePickle(bytes, OPTIONS), threw: false };
  } catch (error) {
    return { small, general: error, threw: true };
  }
}

function assertSame(bytes: Uint8Array): boolean {
  const { small, general, threw } = both(bytes);
  if (small === NOT_SMALL_REQUEST) return false;
  assert.equal(threw, false, `the small path read ${hex(bytes)}, which decodePickle refuses: ${String(general)}`);
  assert.deepStrictEqual(small, general, hex(bytes));
  return true;
}

// A seeded generator of requests written as CPython's pickler writes them.
let seed = 0x2545f491;
function rand(n: number): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) % n;
}

class PyPickler {
  private readonly out: number[] = [];
  private memo = 0;
  constructor(readonly protocol: number) {}
  byte(...b: number[]): void {
    this.out.push(...b);
  }
  u32(n: number): void {
    this.byte(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff);
  }
  memoize(): void {
    if (this.protocol >= 4) this.byte(0x94);
    else if (this.memo < 256) this.byte(0x71, this.memo);
    else (this.byte(0x72), this.u32(this.memo));
    this.memo++;
  }
  str(s: string): void {
    const b = Buffer.from(s, "utf8");
    if (this.protocol >= 4 && b.length < 256) this.byte(0x8c, b.length);
    else (this.byte(0x58), this.u32(b.length));
    this.byte(...b);
    this.memoize();
  }
  int(n: number | bigint): void {
    if (typeof n === "number" && n >= 0 && n <= 0xff) return this.byte(0x4b, n);
    if (typeof n === "number" && n >= 0 && n <= 0xffff) return this.byte(0x4d, n & 0xff, n >>> 8);
    if (typeof n === "number" && n >= -(2 ** 31) && n < 2 ** 31) return (this.byte(0x4a), this.u32(n));
    // encode_long: little-endian two's complement, as few bytes as hold the sign.
    let v = BigInt(n);
    const bytes: number[] = [];
    for (;;) {
      bytes.push(Number(v & 0xffn));
      v >>= 8n;
      const top = bytes[bytes.length - 1]!;
      if ((v === 0n && top < 0x80) || (v === -1n && top >= 0x80)) break;
    }
    this.byte(0x8a, bytes.length, ...bytes);
  }
  float(x: number): void {
    const b = Buffer.alloc(8);
    b.writeDoubleBE(x);
    this.byte(0x47, ...b);
  }
  bytes(b: Uint8Array): void {
    if (b.length < 256) this.byte(0x43, b.length);
    else (this.byte(0x42), this.u32(b.length));
    this.byte(...b);
    this.memoize();
  }
  finish(): Uint8Array {
    const body = [...this.out, 0x2e];
    const head = [0x80, this.protocol];
    if (this.protocol >= 4) {
      const n = body.length;
      head.push(0x95, n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, 0, 0, 0, 0, 0);
    }
    return Uint8Array.from([...head, ...body]);
  }
}

const TEXTS = ["", "k", "__setitem__", "héllo", "日本語", "x".repeat(64), "y".repeat(65), "z".repeat(300), "7f0a1b2c3d"];
const INTS: (number | bigint)[] = [0, 1, 255, 256, 65535, 65536, -1, -129, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, -(2 ** 31) - 1, 2 ** 53, -(2 ** 53), 2n ** 64n, -(2n ** 70n)];

/** One generated request, and whether it is of the shape the small path must read. */
function generated(): { bytes: Uint8Array; small: boolean } {
  const p = new PyPickler(2 + rand(4));
  let small = true;
  const used = new Set<string>();
  const text = (s: string): void => {
    // CPython memoizes a str: a second use is a BINGET, which the small path leaves.
    if (used.has(s)) {
      small = false;
      p.byte(0x68, 0);
      return;
    }
    used.add(s);
    p.str(s);
  };
  p.byte(0x28);
  if (rand(4) === 0) p.byte(0x4e);
  else text(TEXTS[rand(TEXTS.length)]! + "#id");
  text(["__getitem__", "__setitem__", "put", "get", "incref"][rand(5)]!);
  const n = rand(6) === 0 ? 4 + rand(14) : rand(4);
  // More than 16 arguments is not the common shape.
  if (n > 16) small = false;
  if (n === 0) p.byte(0x29);
  else if (n > 3) p.byte(0x28);
  for (let i = 0; i < n; i++) {
    switch (rand(9)) {
      case 0: p.byte(0x4e); break;
      case 1: p.byte(rand(2) ? 0x88 : 0x89); break;
      case 2: case 3: p.int(INTS[rand(INTS.length)]!); break;
      case 4: p.float([0, -0, 1.5, 1e300, Number.NaN, Number.POSITIVE_INFINITY, 3][rand(7)]!); break;
      case 5: case 6: text(TEXTS[rand(TEXTS.length)]! + String(i)); break;
      case 7:
        if (p.protocol >= 3) p.bytes(Uint8Array.from({ length: [0, 3, 255, 256][rand(4)]! }, (_, k) => k & 0xff));
        else p.byte(0x4e);
        break;
      default:
        // A nested tuple: a value the small path leaves to the general decoder.
        small = false;
        p.int(1);
        p.byte(0x85);
        p.memoize();
    }
  }
  if (n > 3) p.byte(0x74);
  else if (n > 0) p.byte(0x84 + n);
  if (n > 0) p.memoize();
  p.byte(0x7d);
  p.memoize();
  if (rand(8) === 0) {
    // A keyword argument: SETITEM on the kwds dict.
    small = false;
    text("timeout");
    p.int(1);
    p.byte(0x73);
  }
  p.byte(0x74);
  p.memoize();
  return { bytes: p.finish(), small };
}

test("requests as CPython 3.6 and 3.11 write them read as decodePickle reads them", () => {
  for (const h of CPYTHON) assert.equal(assertSame(Buffer.from(h, "hex")), true, h);
});

test("the frame's two tuples are unmarked; a bytes argument is a copy, not a view of the frame", () => {
  const bytes = Buffer.from(CPYTHON[0]!, "hex");
  const request = decodeSmallRequest(bytes) as unknown[];
  assert.equal(isTuple(request), false);
  assert.equal(isTuple(request[2]), false);
  const withBytes = new PyPickler(4);
  withBytes.byte(0x28);
  withBytes.str("id");
  withBytes.str("put");
  withBytes.bytes(Uint8Array.of(1, 2, 3));
  withBytes.byte(0x85);
  withBytes.memoize();
  withBytes.byte(0x7d, 0x94, 0x74, 0x94);
  const frame = withBytes.finish();
  const [, , [payload]] = decodeSmallRequest(frame) as [unknown, unknown, [Uint8Array]];
  assert.deepEqual([...payload], [1, 2, 3]);
  frame.fill(0);
  assert.deepEqual([...payload], [1, 2, 3]);
  assert.equal(payload.buffer.byteLength, 3);
});

test("3,000 generated requests: those of the common shape read as decodePickle reads them, the others are left to it", () => {
  let read = 0;
  for (let i = 0; i < 3000; i++) {
    const { bytes, small } = generated();
    const took = assertSame(bytes);
    assert.equal(took, small, `${small ? "not read" : "read"}: ${hex(bytes)}`);
    if (took) read++;
  }
  assert.ok(read > 1500, `only ${read} of 3000 read`);
});

test("a truncated request, or one with bytes after STOP or a wrong frame length, is left to decodePickle", () => {
  for (const h of CPYTHON) {
    const bytes = Buffer.from(h, "hex");
    for (let cut = 0; cut < bytes.length; cut++) assert.equal(decodeSmallRequest(bytes.subarray(0, cut)), NOT_SMALL_REQUEST, `${h} cut at ${cut}`);
    assert.equal(decodeSmallRequest(Buffer.concat([bytes, Buffer.of(0x2e)])), NOT_SMALL_REQUEST);
    if (bytes[2] === 0x95) {
      const longer = Buffer.from(bytes);
      longer[3]!++;
      assert.equal(decodeSmallRequest(longer), NOT_SMALL_REQUEST);
    }
  }
});

test("20,000 altered requests: whatever the small path reads, decodePickle reads the same", () => {
  for (let i = 0; i < 20_000; i++) {
    const bytes = Buffer.from(i % 4 === 0 ? Buffer.from(CPYTHON[rand(CPYTHON.length)]!, "hex") : generated().bytes);
    for (let flips = 1 + rand(3); flips > 0; flips--) bytes[rand(bytes.length)] = rand(256);
    assertSame(bytes);
  }
});

test("Python 2's native str and a request in protocol 0 or 1 are left to decodePickle", () => {
  // Python 2.7: ('id', 'get', (), {}) in protocol 2, native strs as SHORT_BINSTRING.
  const py27 = Buffer.from("80022855026964710155036765747102297d710374710" + "42e", "hex");
  assert.equal(decodeSmallRequest(py27), NOT_SMALL_REQUEST);
  assert.equal(decodeSmallRequest(Buffer.from("(X\x02\x00\x00\x00idX\x03\x00\x00\x00get)}t.", "latin1")), NOT_SMALL_REQUEST);
});
