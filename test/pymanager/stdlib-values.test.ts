/**
 * The standard library value classes in pickles: the exact bytes CPython 3 and 2.7 write for
 * each decoded to its value class or marked Map/array and written back; the shapes refused;
 * Python's repr; and Python 3's numeric tower for dict keys, equality and sorting.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodePickle, encodePickle } from "../../src/pymanager/pickle/pickle.js";
import { PyComplex, PyDecimal, PyFraction, PyTime, PyUUID } from "../../src/pymanager/shared/py-values.js";
import { dequeOf, pythonTypeOf } from "../../src/pymanager/pickle/python-types.js";
import { hashKey, pyCompare, pyEquals } from "../../src/pymanager/shared/py-equality.js";
import { pyRepr } from "../../src/pymanager/repr.js";
import { inReprEra } from "../../src/pymanager/stdlib-repr.js";

/** `p(...)`: a protocol-4 pickle from latin1 text pieces. */
const p = (...parts: string[]) => Buffer.from(`\x80\x04${parts.join("")}.`, "latin1");
const str = (s: string) => `\x8c${String.fromCharCode(s.length)}${s}`;
const global = (m: string, n: string) => `${str(m)}${str(n)}\x93`;

describe("standard library values in pickles", () => {
  it("reads what CPython 3 writes for each, and writes it back so it reads the same", () => {
    const cases: Array<[Buffer, (v: unknown) => boolean]> = [
      [p(global("decimal", "Decimal"), str("1.5"), "\x85R"), (v) => v instanceof PyDecimal && v.text === "1.5"],
      [p(global("fractions", "Fraction"), "K\x01K\x03\x86R"), (v) => v instanceof PyFraction && v.numerator === 1n && v.denominator === 3n],
      [p(global("builtins", "complex"), "G?\xf0\x00\x00\x00\x00\x00\x00G@\x00\x00\x00\x00\x00\x00\x00\x86R"), (v) => v instanceof PyComplex && v.real === 1 && v.imag === 2],
      [p(global("collections", "OrderedDict"), ")R", str("a"), "K\x01s"), (v) => v instanceof Map && pythonTypeOf(v) === "OrderedDict" && v.get("a") === 1],
      [p(global("collections", "deque"), ")K\x03\x86R(K\x01K\x02e"), (v) => dequeOf(v)?.maxlen === 3 && (v as unknown[]).join() === "1,2"],
      [p(global("collections", "Counter"), "}(", str("a"), "K\x02u\x85R"), (v) => v instanceof Map && pythonTypeOf(v) === "Counter" && v.get("a") === 2],
      [p(global("datetime", "time"), "C\x06\x01\x02\x03\x00\x00\x04\x85R"), (v) => v instanceof PyTime && v.hour === 1 && v.minute === 2 && v.microsecond === 4],
      [p(global("uuid", "UUID"), "\x94)\x81\x94}", str("int"), "K\x05sb"), (v) => v instanceof PyUUID && v.int === 5n],
      // The same UUID twice through the memo: both references are the built UUID.
      [p("(", global("uuid", "UUID"), "\x94)\x81\x94}", str("int"), "K\x05sbh\x01l"), (v) => Array.isArray(v) && v.every((u) => u instanceof PyUUID && u.int === 5n)],
    ];
    for (const [bytes, check] of cases) {
      const value = decodePickle(bytes);
      assert.ok(check(value), bytes.toString("latin1"));
      assert.ok(check(decodePickle(encodePickle(value))), `round trip of ${bytes.toString("latin1")}`);
      assert.ok(check(decodePickle(encodePickle(value, { protocol: 2 }))), `protocol 2 round trip of ${bytes.toString("latin1")}`);
    }
  });

  it("reads a time's fold from bit 7 of its hour, and writes it from protocol 4 on, as CPython does", () => {
    const folded = decodePickle(p(global("datetime", "time"), "C\x06\x81\x02\x03\x00\x00\x04\x85R")) as PyTime;
    assert.equal(folded.hour, 1);
    assert.equal(folded.fold, 1);
    assert.equal((decodePickle(encodePickle(folded)) as PyTime).fold, 1);
    assert.equal((decodePickle(encodePickle(folded, { protocol: 2 })) as PyTime).fold, 0, "Python 2.7 has no fold");
  });

  it("reads what Python 2.7 writes: Fraction as text, OrderedDict and deque with their items as arguments", () => {
    const p2 = (body: string) => Buffer.from(`\x80\x02${body}.`, "latin1");
    assert.equal((decodePickle(p2("cfractions\nFraction\nU\x031/3\x85R")) as PyFraction).denominator, 3n);
    const od = decodePickle(p2("ccollections\nOrderedDict\n]](U\x01aK\x01ea\x85R")) as Map<unknown, unknown>;
    assert.equal(pythonTypeOf(od), "OrderedDict");
    assert.deepEqual([...od], [["a", 1]]);
    assert.deepEqual(decodePickle(p2("ccollections\ndeque\n](K\x01K\x02e\x85R")), [1, 2]);
    assert.equal((decodePickle(p2("cuuid\nUUID\n)\x81}U\x03intK\x05sb")) as PyUUID).int, 5n);
  });

  it("refuses any other shape with the global's name", () => {
    for (const [bytes, message] of [
      [p(global("decimal", "Decimal"), "K\x01\x85R"), /decimal\.Decimal is allowed only with \(str,\)/],
      [p(global("decimal", "Decimal"), str("1.2.3"), "\x85R"), /not a Decimal/],
      [p(global("fractions", "Fraction"), "K\x01K\x00\x86R"), /denominator is zero/],
      [p(global("collections", "deque"), ")J\xff\xff\xff\xff\x86R"), /collections\.deque is allowed only/],
      [p(global("collections", "OrderedDict"), "(K\x01t\x85R"), /OrderedDict's items must be \[key, value\] pairs/],
      [p(global("datetime", "time"), "C\x06\x18\x00\x00\x00\x00\x00\x85R"), /datetime\.time: a field is out of range/],
      [p(global("uuid", "UUID"), ")\x81}", str("x"), "K\x05sb"), /uuid\.UUID's state must be/],
      [p(global("decimal", "getcontext"), ")R"), /global decimal\.getcontext is not allowed/],
    ] as const) {
      assert.throws(() => decodePickle(bytes), (e: Error) => message.test(e.message), bytes.toString("latin1"));
    }
  });

  it("prints each as Python prints it, OrderedDict per the client's Python", () => {
    const od = decodePickle(p(global("collections", "OrderedDict"), ")R", str("a"), "K\x01s"));
    assert.equal(pyRepr(od), "OrderedDict({'a': 1})");
    assert.equal(inReprEra(true, () => pyRepr(od)), "OrderedDict([('a', 1)])");
    const counter = decodePickle(p(global("collections", "Counter"), "}(", str("a"), "K\x01", str("b"), "K\x03u\x85R"));
    assert.equal(pyRepr(counter), "Counter({'b': 3, 'a': 1})");
    assert.equal(pyRepr([new PyDecimal("1.50"), new PyFraction(2, 4), new PyComplex(0, -0), new PyComplex(-1.5, 2), new PyTime(1, 2), new PyTime(1, 2, 3, 0, null, 1), new PyUUID(1n)]),
      "[Decimal('1.50'), Fraction(1, 2), -0j, (-1.5+2j), datetime.time(1, 2), datetime.time(1, 2, 3, fold=1), UUID('00000000-0000-0000-0000-000000000001')]");
  });

  it("keys, compares and sorts numbers as Python 3 does", () => {
    const one = [1, true, 1n, 1.0, new PyDecimal("1.000"), new PyFraction(3, 3), new PyComplex(1, 0)];
    for (const v of one) assert.equal(hashKey(v), 1);
    assert.equal(hashKey(new PyDecimal("1.5")), hashKey(1.5));
    assert.equal(hashKey(new PyFraction(3, 2)), 1.5);
    assert.notEqual(hashKey(new PyDecimal("1.1")), hashKey(1.1), "1.1 is not exactly 11/10");
    assert.equal(hashKey(new PyDecimal("1.1")), hashKey(new PyFraction(11, 10)));
    assert.equal(hashKey(new PyDecimal("1E+20")), hashKey(10n ** 20n));
    assert.notEqual(hashKey(new PyDecimal("NaN")), hashKey(new PyDecimal("NaN")), "a NaN equals nothing");
    assert.equal(hashKey(new PyDecimal("1E+5000")), hashKey(10n ** 5000n), "a Decimal past any exponent bound keys as the int it equals");
    assert.ok(pyEquals(new PyDecimal("2.50"), 2.5) && !pyEquals(new PyDecimal("2.5"), "2.5"));
    assert.ok(!pyEquals(decodePickle(p(global("collections", "deque"), ")R(K\x01e")), [1]), "a deque is not a list");
    const sorted = [new PyDecimal("2.5"), 1, new PyFraction(1, 3), 2.25, new PyDecimal("-1")].sort(pyCompare);
    assert.equal(pyRepr(sorted), "[Decimal('-1'), Fraction(1, 3), 1, 2.25, Decimal('2.5')]");
    assert.throws(() => [new PyComplex(1, 1), 1].sort(pyCompare), /'<' not supported between instances of 'int' and 'complex'/);
  });
});
