import assert from "node:assert/strict";
import { test } from "node:test";
import { createMsgpackCodec } from "../../src/codecs/msgpack.js";
import { RpcError } from "../../src/core/errors.js";
import { REF_FUNCTION, WireRef } from "../../src/core/ref-wire.js";

const codec = createMsgpackCodec();
const roundTrip = (v: unknown): unknown => codec.decode(codec.encode(v));

test("every extended type round-trips exactly", () => {
  const values: unknown[] = [
    new Date(1_700_000_000_123),
    0n, 5n, -3n, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 200n, -(3n ** 100n),
    new Map<unknown, unknown>([[1, "a"], ["k", { nested: new Map([[true, null]]) }], [2n, [1, 2]]]),
    new Set([1, "two", 3n, new Date(0)]),
    new Uint8Array([0, 1, 255]),
    Buffer.from("bytes"),
    undefined,
    { a: undefined, b: [undefined, null] },
    [1, -1, 2 ** 40, 0.5, -1e300, Number.MAX_SAFE_INTEGER, "text", "", true, false, null],
    { deep: { deeper: { deepest: [new Set([new Map([["x", new Uint8Array([9])]])])] } } },
    NaN, Infinity, -Infinity,
  ];
  for (const v of values) assert.deepStrictEqual(roundTrip(v), v);
});

test("-0 comes back as -0 wherever it sits (msgpackr alone writes it as the integer 0), and 0 stays 0 (Sets and Map keys hold no -0 in JavaScript)", () => {
  const back = codec.decode(codec.encode({ z: -0, list: [1, -0], map: new Map([["k", -0]]), plain: 0 })) as Record<string, unknown>;
  assert.ok(Object.is(back.z, -0));
  assert.ok(Object.is((back.list as number[])[1], -0));
  assert.ok(Object.is((back.map as Map<string, number>).get("k"), -0));
  assert.ok(Object.is(back.plain, 0));
  assert.ok(Object.is(codec.decode(codec.encode(-0)), -0));
});

test("errors round-trip with class, message and code but never a stack", () => {
  const t = roundTrip(new TypeError("bad")) as Error;
  assert.ok(t instanceof TypeError);
  assert.equal(t.message, "bad");
  const r = roundTrip(new RpcError("APP", "app failed", { id: 7, when: new Map([[1, 2]]) })) as RpcError;
  assert.ok(RpcError.is(r));
  assert.equal(r.code, "APP");
  assert.deepStrictEqual(r.data, { id: 7, when: new Map([[1, 2]]) });
  const custom = new Error("custom");
  custom.name = "ValidationError";
  const c = roundTrip(custom) as Error;
  assert.equal(c.name, "ValidationError");
  assert.equal(c.stack, "ValidationError: custom");
});

test("a Map inside an argument is not mistaken for a plain object, and the caller's value is untouched", () => {
  const original = { list: [new Map([["a", 1]])] };
  const out = roundTrip(original) as typeof original;
  assert.ok(out.list[0] instanceof Map);
  assert.ok(original.list[0] instanceof Map);
});

test("a cyclic value is refused with INVALID_PARAMS, not a stack overflow", () => {
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.throws(() => codec.encode(cyclic), (e: unknown) => RpcError.is(e) && e.code === "INVALID_PARAMS");
});

test("a __proto__ key from a peer does not change the decoded object's prototype", () => {
  const bytes = Buffer.from("81a95f5f70726f746f5f5f81a17801", "hex"); // {"__proto__": {"x": 1}}
  const out = codec.decode(bytes) as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(out), Object.prototype);
  assert.equal((out as { x?: unknown }).x, undefined);
});

/** A reference table that records what passes through it, as a session's would. */
function fakeRefs(name: string) {
  const exported: unknown[] = [];
  return {
    exported,
    exportValue: (value: object) => (exported.push(value), new WireRef(REF_FUNCTION, exported.length)),
    importValue: (kind: unknown, id: unknown) => ({ from: name, kind, id }),
  };
}

test("references go through the reference table handed to encode and decode, and nowhere else", () => {
  const fn = (): void => {};
  assert.throws(() => codec.encode([fn]), (e: unknown) => RpcError.is(e) && e.code === "INVALID_PARAMS");
  const refs = fakeRefs("session");
  const bytes = codec.encode({ callback: fn, plain: 1 }, refs);
  assert.deepEqual(refs.exported, [fn]);
  assert.throws(() => codec.decode(bytes), (e: unknown) => RpcError.is(e) && e.code === "PARSE_ERROR");
  assert.deepEqual(codec.decode(bytes, 0, bytes.length, refs), { callback: { from: "session", kind: REF_FUNCTION, id: 1 }, plain: 1 });
});

test("a decode inside a decode uses its own references, and the outer one gets its own back", () => {
  const outerRefs = fakeRefs("outer");
  const innerRefs = fakeRefs("inner");
  const inner = codec.encode([() => {}], innerRefs);
  const outer = codec.encode([() => {}, () => {}], outerRefs);
  let nested: unknown;
  // The first import of the outer document decodes another document, as a registered type's decoder might.
  const reentrant = { ...outerRefs, importValue: (kind: unknown, id: unknown) => ((nested ??= codec.decode(inner, 0, inner.length, innerRefs)), outerRefs.importValue(kind, id)) };
  assert.deepEqual(codec.decode(outer, 0, outer.length, reentrant), [{ from: "outer", kind: REF_FUNCTION, id: 1 }, { from: "outer", kind: REF_FUNCTION, id: 2 }]);
  assert.deepEqual(nested, [{ from: "inner", kind: REF_FUNCTION, id: 1 }]);
});

test("a document holding a large byte array is packed into a buffer of about its own size, and the next small one into a small buffer", () => {
  const payload = new Uint8Array(1024 * 1024).fill(7);
  const large = codec.encode([1, 5, payload]);
  assert.ok(large.buffer.byteLength < 1.1 * large.length, `packed ${large.length} B into a buffer of ${large.buffer.byteLength} B`);
  const small = codec.encode([1, 6, 3]);
  assert.ok(small.buffer.byteLength <= 64 * 1024, `packed ${small.length} B into a buffer of ${small.buffer.byteLength} B`);
  assert.deepStrictEqual(codec.decode(large), [1, 5, payload]);
  assert.deepStrictEqual(codec.decode(small), [1, 6, 3]);
});

test("small documents deep in a large buffer decode exactly as alone, and a plain bin among them keeps its bytes after the next decode", () => {
  const docs = [
    [0, 7, "add", [1, 2]],
    [1, 2 ** 31, "a string of thirty-three bytes!!!", { k: "é€😀", n: -1.5 }],
    [2, 3, new Map([["x", new Set([1n])]]), new Date(5), undefined],
  ];
  const frames = docs.map((d) => codec.encode(d));
  const padding = new Uint8Array(1000).fill(0xc0);
  const parts = [padding, ...frames, padding];
  const all = Buffer.concat(parts);
  let at = padding.length;
  for (let i = 0; i < docs.length; i++) {
    assert.deepStrictEqual(codec.decode(all, at, at + frames[i]!.length), docs[i]);
    at += frames[i]!.length;
  }
  // [bin 1 2 3, "x"] and [bin 9 9 9, "y"], each far past the start of its buffer
  const binDoc = (b: number, s: string): Buffer => Buffer.concat([padding, Buffer.from([0x92, 0xc4, 3, b, b + 1, b + 2, 0xa1, s.charCodeAt(0)])]);
  const first = codec.decode(binDoc(1, "x"), padding.length) as [Uint8Array, string];
  const second = codec.decode(binDoc(9, "y"), padding.length) as [Uint8Array, string];
  assert.deepStrictEqual([...first[0]], [1, 2, 3]);
  assert.deepStrictEqual([...second[0]], [9, 10, 11]);
  assert.deepStrictEqual([first[1], second[1]], ["x", "y"]);
});

test("a small document decoded inside the decode of another small one leaves the outer one's remaining bytes intact", () => {
  const outerRefs = fakeRefs("outer");
  const innerRefs = fakeRefs("inner");
  const inner = codec.encode([() => {}, 98765, "inner's own text"], innerRefs);
  const outer = codec.encode([() => {}, "the outer document's tail", [1, 2, 3]], outerRefs);
  let nested: unknown;
  const reentrant = { ...outerRefs, importValue: (kind: unknown, id: unknown) => ((nested ??= codec.decode(inner, 0, inner.length, innerRefs)), outerRefs.importValue(kind, id)) };
  const deep = Buffer.concat([new Uint8Array(500), outer]);
  assert.deepEqual(codec.decode(deep, 500, deep.length, reentrant), [{ from: "outer", kind: REF_FUNCTION, id: 1 }, "the outer document's tail", [1, 2, 3]]);
  assert.deepEqual(nested, [{ from: "inner", kind: REF_FUNCTION, id: 1 }, 98765, "inner's own text"]);
});
