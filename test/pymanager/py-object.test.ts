/**
 * PyObject: a program's own class instance, read from a pickle only when the listener names
 * its class, written back as the pickle built it, compared and hashed by value.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { decodePickle, encodePickle } from "../../src/pymanager/pickle/pickle.js";
import { PyObject } from "../../src/pymanager/shared/py-object.js";
import { requestDecoding } from "../../src/pymanager/request-globals.js";
import { hashKey, pyEquals } from "../../src/pymanager/shared/py-equality.js";
import { pyRepr } from "../../src/pymanager/repr.js";

const decoding = requestDecoding(["__main__.P", "__main__.C", "__main__.B", "__main__.Old"]);
const hex = (h: string) => Buffer.from(h, "hex");
// CPython 3.11, protocol 4: P(1, 'x') (a namedtuple: NEWOBJ), C.A (an Enum: REDUCE), B() with w = 2 (NEWOBJ, then BUILD).
const NAMEDTUPLE = "8004951c000000000000008c085f5f6d61696e5f5f948c01509493944b018c017894869481942e";
const ENUM = "80049518000000000000008c085f5f6d61696e5f5f948c01439493944b01859452942e";
const INSTANCE = "8004951f000000000000008c085f5f6d61696e5f5f948c01429493942981947d948c0177944b0273622e";

test("a named class's instance decodes to a PyObject with its arguments, its build and its state", () => {
  const p = decodePickle(hex(NAMEDTUPLE), decoding.request) as PyObject;
  assert.ok(p instanceof PyObject);
  assert.deepEqual([p.className, [...p.args], p.build, p.state], ["__main__.P", [1, "x"], "newobj", undefined]);
  const c = decodePickle(hex(ENUM), decoding.request) as PyObject;
  assert.deepEqual([c.className, [...c.args], c.build], ["__main__.C", [1], "reduce"]);
  const b = decodePickle(hex(INSTANCE), decoding.request) as PyObject;
  assert.deepEqual([b.className, [...b.args], b.build, b.state], ["__main__.B", [], "newobj", { w: 2 }]);
});

test("a PyObject encodes back to the bytes CPython wrote (protocol 4)", () => {
  for (const h of [NAMEDTUPLE, ENUM, INSTANCE]) {
    const again = encodePickle(decodePickle(hex(h), decoding.request), { protocol: 4 });
    // CPython frames and memoizes; compare what each decodes to, and that Python's opcodes are there.
    assert.deepEqual(decodePickle(again, decoding.request), decodePickle(hex(h), decoding.request));
  }
  const enumBytes = Buffer.from(encodePickle(new PyObject("__main__.C", [1], undefined, "reduce"), { protocol: 2 })).toString("latin1");
  assert.match(enumBytes, /c__main__\nC\n/);
  assert.ok(enumBytes.includes("R"), "REDUCE");
});

test("a class the listener does not name is refused, and so is a Python 2 classic class", () => {
  assert.throws(() => decodePickle(hex(NAMEDTUPLE), requestDecoding(undefined).request), /pickle refused: global __main__\.P is not allowed/);
  const classic = "800228635f5f6d61696e5f5f0a4f6c640a71016f71027d71035501784b0173622e";
  assert.throws(() => decodePickle(hex(classic), decoding.request), /__main__\.Old is a Python 2 classic class \(built by OBJ\); make it inherit from object/);
});

test("PyObjects compare and hash by class, arguments and state; repr is Python's default form", () => {
  const a = new PyObject("m.P", [1, "x"]);
  assert.equal(pyEquals(a, new PyObject("m.P", [1, "x"])), true);
  assert.equal(pyEquals(a, new PyObject("m.Q", [1, "x"])), false);
  assert.equal(pyEquals(a, new PyObject("m.P", [1, "y"])), false);
  assert.equal(pyEquals(a, new PyObject("m.P", [1, "x"], undefined, "reduce")), false);
  assert.equal(hashKey(a), hashKey(new PyObject("m.P", [1, "x"])));
  assert.notEqual(hashKey(new PyObject("m.B", [], { w: 1 })), hashKey(new PyObject("m.B", [], { w: 2 })));
  assert.equal(hashKey(new PyObject("m.B", [], { w: 1 })), hashKey(new PyObject("m.B", [], { w: 1 })));
  assert.match(pyRepr(a), /^<m\.P object at 0x[0-9a-f]+>$/);
  assert.throws(() => hashKey(new PyObject("m.B", [], { w: [1] })), /unhashable/);
});
