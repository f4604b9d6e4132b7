/**
 * A Python range in a manager request: kept as the range it is (its bounds only), iterated to
 * its ints only where Python iterates it, and bounded there.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PyRange, rangeGlobal } from "../../src/pymanager/range-value.js";
import { iterableOf } from "../../src/pymanager/faces-data.js";
import { pyRepr } from "../../src/pymanager/repr.js";

describe("a Python range in a request", () => {
  it("is read as its bounds, prints as Python prints it, and iterates to its ints", () => {
    const r = rangeGlobal("range")([1, 10, 3]);
    assert.deepEqual([r.start, r.stop, r.step], [1, 10, 3]);
    assert.equal(pyRepr(r), "range(1, 10, 3)");
    assert.equal(pyRepr(rangeGlobal("range")([3])), "range(0, 3)");
    assert.equal(pyRepr(rangeGlobal("xrange")([0, 10, 3])), "xrange(0, 12, 3)");
    assert.equal(pyRepr(rangeGlobal("xrange")([4])), "xrange(4)");
    assert.deepEqual(iterableOf(r), [1, 4, 7]);
    assert.deepEqual(iterableOf(rangeGlobal("range")([5, 1, -2])), [5, 3]);
  });

  it("a billion-item range is stored as its bounds; iterating it past a million items is refused before any is made", () => {
    const huge = new PyRange("range", 0, 1e9, 1);
    assert.equal(huge.length, 1e9);
    assert.throws(() => iterableOf(huge), { code: "RESOURCE_EXHAUSTED", message: "range of 1000000000 items exceeds the 1000000 a shared object holds" });
  });

  it("bad bounds are refused naming the global", () => {
    for (const args of [[0, 5, 0], ["a"], [1.5], [1, 2, 3, 4]]) {
      assert.throws(() => rangeGlobal("range")(args), { code: "PARSE_ERROR", message: /^range\(\) needs one to three integer arguments/ }, JSON.stringify(args));
    }
  });
});
