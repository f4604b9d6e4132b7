import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RpcError } from "../../src/core/errors.js";
import { MemoryCounters } from "../../src/demo/counters.js";

describe("MemoryCounters", () => {
  it("a counter never written reads 0", () => {
    assert.equal(new MemoryCounters().get("views"), 0);
  });

  it("add returns the new value, negative steps included", () => {
    const counters = new MemoryCounters();
    assert.equal(counters.add("views", 1), 1);
    assert.equal(counters.add("views", 41), 42);
    assert.equal(counters.add("views", -2), 40);
    assert.equal(counters.get("views"), 40);
  });

  it("counters with different names are independent", () => {
    const counters = new MemoryCounters();
    counters.add("a", 5);
    assert.equal(counters.get("b"), 0);
  });

  it("an addition past the safe-integer range is refused with INVALID_PARAMS and leaves the value", () => {
    const counters = new MemoryCounters();
    counters.add("big", Number.MAX_SAFE_INTEGER);
    assert.throws(() => counters.add("big", 1), (err: unknown) => RpcError.is(err) && err.code === "INVALID_PARAMS");
    assert.equal(counters.get("big"), Number.MAX_SAFE_INTEGER);
  });
});
