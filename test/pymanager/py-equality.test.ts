/**
 * Python's equality and hashing of dicts, sets and frozensets, as the shared objects use them
 * (`in`, `count`, `index`, `remove`, dict keys), and sets decoded from pickles holding one
 * element of each group Python calls equal.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodePickle } from "../../src/pymanager/pickle/pickle.js";
import { markPython, pythonTypeOf, tuple } from "../../src/pymanager/pickle/python-types.js";
import { hashKey, pyCompare, pyEquals } from "../../src/pymanager/shared/py-equality.js";
import { PyDecimal, StoredProxy } from "../../src/pymanager/shared/py-values.js";

const p = (...parts: string[]) => Buffer.from(`\x80\x04${parts.join("")}.`, "latin1");
const str = (s: string) => `\x8c${String.fromCharCode(s.length)}${s}`;
const frozen = (...items: unknown[]) => markPython(new Set(items), "frozenset");
const od = (...entries: [unknown, unknown][]) => markPython(new Map(entries), "OrderedDict");
const counter = (...entries: [unknown, unknown][]) => markPython(new Map(entries), "Counter");

describe("Python's equality of dicts and sets", () => {
  it("a dict equals a dict with equal keys holding equal values, in any order and either form (object or Map)", () => {
    assert.ok(pyEquals({ a: 1 }, { a: 1 }));
    assert.ok(pyEquals({ a: 1 }, new Map([["a", 1.0]])));
    assert.ok(pyEquals({ a: 1, b: 2 }, { b: 2, a: 1 }));
    assert.ok(pyEquals(new Map<unknown, unknown>([[1, "x"], [tuple(1, 2), [3]]]), new Map<unknown, unknown>([[true, "x"], [tuple(1.0, 2n), [3]]])));
    assert.ok(!pyEquals({ a: 1 }, { a: 2 }));
    assert.ok(!pyEquals({ a: 1 }, { a: 1, b: null }));
    assert.ok(!pyEquals({ a: 1 }, { b: 1 }));
    assert.ok(!pyEquals({}, []));
    assert.ok(!pyEquals({ a: [1] }, { a: tuple(1) }), "a list value never equals a tuple value");
  });

  it("two OrderedDicts compare in order too; an OrderedDict or a Counter against a dict compares as dicts", () => {
    assert.ok(pyEquals(od(["a", 1], ["b", 2]), od(["a", 1], ["b", 2])));
    assert.ok(!pyEquals(od(["a", 1], ["b", 2]), od(["b", 2], ["a", 1])));
    assert.ok(pyEquals(od(["a", 1], ["b", 2]), { b: 2, a: 1 }));
    assert.ok(pyEquals(od(["b", 2], ["a", 1]), counter(["a", 1], ["b", 2])));
    assert.ok(pyEquals(counter(["a", 1]), { a: 1 }));
  });

  it("a set equals a set or frozenset of equal elements, nested and with 1 == 1.0 == True", () => {
    assert.ok(pyEquals(new Set([1, 2]), frozen(2.0, true)));
    assert.ok(pyEquals(new Set([tuple(1, 2), "z"]), frozen("z", tuple(1.0, 2))));
    assert.ok(pyEquals(new Set([frozen(1)]), new Set([frozen(true)])));
    assert.ok(pyEquals(new Set([new PyDecimal("1.50")]), new Set([1.5])));
    assert.ok(!pyEquals(new Set([1, 2]), new Set([1, 3])));
    assert.ok(!pyEquals(new Set([1]), new Set([1, 2])));
    assert.ok(!pyEquals(new Set([NaN]), new Set([NaN])), "two NaNs are two objects in Python: never equal");
    assert.ok(pyEquals([{ n: new Map([[1.0, frozen(1)]]) }], [{ n: new Map([[1, frozen(true)]]) }]));
  });

  it("a frozenset is a dict key whatever its order and element types; a set, a dict and a list are not", () => {
    assert.equal(hashKey(frozen(1, 2)), hashKey(frozen(2.0, true)));
    assert.equal(hashKey(tuple(1, frozen("a"))), hashKey(tuple(true, frozen("a"))));
    assert.notEqual(hashKey(frozen(1)), hashKey(frozen("1")));
    assert.notEqual(hashKey(frozen()), hashKey(tuple()));
    assert.throws(() => hashKey(new Set([1])), { code: "TypeError", message: "unhashable type: 'set'" });
    assert.throws(() => hashKey({ a: 1 }), { code: "TypeError", message: "unhashable type: 'dict'" });
    assert.throws(() => hashKey([1]), { code: "TypeError", message: "unhashable type: 'list'" });
  });

  it("stored proxies inside tuples keep apart by identity", () => {
    const a = new StoredProxy("ListProxy", "list", tuple("127.0.0.1", 1), "1", null);
    const b = new StoredProxy("ListProxy", "list", tuple("127.0.0.1", 1), "2", null);
    assert.equal(hashKey(tuple(a)), hashKey(tuple(a)));
    assert.notEqual(hashKey(tuple(a)), hashKey(tuple(b)));
  });
});

describe("sets decoded from pickles", () => {
  it("hold one element of each group Python calls equal, the first one, and stay JavaScript Sets", () => {
    // {1, 1.0, True} and {(1, 2), (1, 2)} as a pickle could spell them: Python's set keeps one.
    const set = decodePickle(p("\x8f(K\x01G?\xf0\x00\x00\x00\x00\x00\x00\x88\x90")) as Set<unknown>;
    assert.deepEqual([...set], [1]);
    const tuples = decodePickle(p("\x8f(K\x01K\x02\x86K\x01K\x02\x86\x90(G?\xf0\x00\x00\x00\x00\x00\x00K\x02\x86\x90")) as Set<unknown>;
    assert.ok(tuples instanceof Set);
    assert.equal(tuples.size, 1);
    const fs = decodePickle(p("(K\x01K\x02\x86K\x01K\x02\x86\x91")) as Set<unknown>;
    assert.equal(fs.size, 1);
    assert.equal(pythonTypeOf(fs), "frozenset");
    // Python 2.7's set([...]) and frozenset([...]).
    const old = decodePickle(Buffer.from("\x80\x02c__builtin__\nset\n]q\x00(K\x01G?\xf0\x00\x00\x00\x00\x00\x00e\x85R.", "latin1")) as Set<unknown>;
    assert.deepEqual([...old], [1]);
  });

  it("refuse a list or dict element, as Python's set does", () => {
    assert.throws(() => decodePickle(p("\x8f(]\x90")), { code: "PARSE_ERROR", message: "pickle refused: a set element is unhashable (unhashable type: 'list')" });
    assert.throws(() => decodePickle(p("(}", str("a"), "K\x01s\x91")), { code: "PARSE_ERROR", message: "pickle refused: a set element is unhashable (unhashable type: 'dict')" });
  });
});

describe("dates and datetimes", () => {
  const naive = (iso: string, microsecond: number) => markPython(new Date(iso), { kind: "datetime", microsecond, utcOffset: null });
  it("compare to the microsecond, and sort", () => {
    assert.ok(!pyEquals(naive("2020-01-01T00:00:00.000Z", 5), naive("2020-01-01T00:00:00.000Z", 6)));
    assert.ok(pyEquals(naive("2020-01-01T00:00:00.000Z", 5), naive("2020-01-01T00:00:00.000Z", 5)));
    assert.equal(pyCompare(naive("2020-01-01T00:00:00.000Z", 6), naive("2020-01-01T00:00:00.000Z", 5)), 1);
    assert.equal(pyCompare(new Date(0), new Date(1)), -1);
  });

  it("refuse to order a naive against an aware datetime, or a datetime against a date, in Python's words", () => {
    assert.throws(() => pyCompare(naive("2020-01-01T00:00:00.000Z", 0), new Date(0)), { code: "TypeError", message: "can't compare offset-naive and offset-aware datetimes" });
    assert.throws(() => pyCompare(markPython(new Date(0), "date"), new Date(0)), { code: "TypeError", message: "can't compare datetime.datetime to datetime.date" });
    assert.ok(!pyEquals(naive("1970-01-01T00:00:00.000Z", 0), new Date(0)), "a naive datetime never equals an aware one");
  });
});

describe("sets decoded in batches", () => {
  it("merge a later batch with the members of an earlier one, whatever their kinds", () => {
    // EMPTY_SET, ADDITEMS (1, 'a'), ADDITEMS (True, 1.0, 'a', (1,)), ADDITEMS ((1.0,),)
    const set = decodePickle(p("\x8f(K\x01", str("a"), "\x90(\x88G?\xf0\x00\x00\x00\x00\x00\x00", str("a"), "K\x01\x85\x90(G?\xf0\x00\x00\x00\x00\x00\x00\x85\x90")) as Set<unknown>;
    assert.equal(set.size, 3);
    assert.deepEqual([...set].slice(0, 2), [1, "a"]);
  });
});
