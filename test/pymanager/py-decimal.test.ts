/**
 * `decimal.Decimal` on the JavaScript side: its text spelled as CPython's `str()` spells it,
 * and Decimals of any exponent keyed, compared and sorted exactly, without expanding the
 * exponent into digits.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PyDecimal, PyFraction } from "../../src/pymanager/shared/py-values.js";
import { hashKey, pyCompare, pyEquals } from "../../src/pymanager/shared/py-equality.js";
import { pyRepr } from "../../src/pymanager/repr.js";

describe("PyDecimal", () => {
  it("spells its text as CPython's str() does (the to-scientific-string rules)", () => {
    // Each pair: what a program wrote, what str(Decimal(that)) prints under CPython 3.11.
    const cases: Array<[string, string]> = [
      ["1e3", "1E+3"], ["100", "100"], [".5", "0.5"], ["5.", "5"], ["0.0000001", "1E-7"], ["0.000001", "0.000001"],
      ["+1", "1"], ["-0", "-0"], ["0e5", "0E+5"], ["0e-7", "0E-7"], ["-0.000", "-0.000"], ["1.50", "1.50"],
      ["12345e-10", "0.0000012345"], ["1E-6", "0.000001"], ["-inf", "-Infinity"], ["Infinity", "Infinity"], ["nan", "NaN"],
      ["-nan012", "-NaN12"], ["snan0", "sNaN"], ["123.456e2", "12345.6"], ["1e999999", "1E+999999"], ["00012.5000", "12.5000"],
    ];
    for (const [given, python] of cases) assert.equal(new PyDecimal(given).text, python, given);
    assert.equal(pyRepr(new PyDecimal("1e3")), "Decimal('1E+3')");
    assert.throws(() => new PyDecimal("1_000"), { code: "INVALID_PARAMS" });
    assert.throws(() => new PyDecimal("."), { code: "INVALID_PARAMS" });
  });

  it("keys a Decimal of any exponent as the number it equals, without building its digits", () => {
    assert.equal(hashKey(new PyDecimal("1E+999999999")), hashKey(new PyDecimal("10E+999999998")));
    assert.notEqual(hashKey(new PyDecimal("1E+999999999")), hashKey(new PyDecimal("1E+999999998")));
    assert.equal(hashKey(new PyDecimal("1E+3000")), hashKey(10n ** 3000n));
    assert.equal(hashKey(new PyDecimal("-25E+2999")), hashKey(-(25n * 10n ** 2999n)));
    assert.equal(hashKey(new PyDecimal("1E-999999999")), hashKey(new PyDecimal("0.1E-999999998")));
    assert.equal(hashKey(new PyDecimal(`${5n ** 4001n}E-4001`)), hashKey(new PyFraction(1n, 2n ** 4001n)));
    assert.equal(hashKey(2n ** 60n), hashKey(2 ** 60), "2**60 and 2.0**60 are one key");
    assert.equal(hashKey(new PyFraction(1n, 2n ** 1074n)), hashKey(5e-324), "a subnormal float's Fraction is its key");
    assert.equal(hashKey(new PyDecimal(`${5n ** 1030n}E-1030`)), hashKey(2 ** -1030));
    assert.ok(pyEquals(new PyDecimal("1E+5000"), 10n ** 5000n));
    assert.ok(!pyEquals(new PyDecimal("1E+5000"), 10n ** 5000n + 1n));
  });

  it("compares and sorts Decimals of any exponent exactly", () => {
    const huge = new PyDecimal("1E+999999");
    const tiny = new PyDecimal("1E-999999");
    assert.equal(pyCompare(huge, 10n ** 2000n), 1);
    assert.equal(pyCompare(new PyDecimal("-1E+999999"), -(10n ** 2000n)), -1);
    assert.equal(pyCompare(tiny, 0), 1);
    assert.equal(pyCompare(tiny, new PyFraction(1n, 10n ** 2000n)), -1);
    assert.equal(pyCompare(huge, Infinity), -1);
    assert.equal(pyCompare(new PyDecimal("2E+3000"), new PyDecimal("19E+2999")), 1);
    assert.equal(pyCompare(new PyDecimal("2E+3000"), 2n * 10n ** 3000n), 0);
    assert.equal(pyCompare(new PyDecimal("2E+3000"), 2n * 10n ** 3000n - 1n), 1);
    assert.equal(pyCompare(new PyDecimal("19999E-9000"), new PyDecimal("2E-8996")), -1);
    const sorted = [huge, 1, tiny, new PyDecimal("-1E+999999"), new PyDecimal("1E+3000"), 0.5].sort(pyCompare);
    assert.equal(pyRepr(sorted), "[Decimal('-1E+999999'), Decimal('1E-999999'), 0.5, 1, Decimal('1E+3000'), Decimal('1E+999999')]");
  });
});
