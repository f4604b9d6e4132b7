import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RpcError } from "../../src/core/errors.js";
import { MAX_ENTRIES } from "../../src/demo/limits.js";
import { MemoryKeyValueStore } from "../../src/demo/kv-store.js";

describe("MemoryKeyValueStore", () => {
  it("get of a key never written is undefined", () => {
    assert.equal(new MemoryKeyValueStore().get("a"), undefined);
  });

  it("put then get returns the same value, and a later put replaces it", () => {
    const store = new MemoryKeyValueStore();
    store.put("a", 10);
    assert.equal(store.get("a"), 10);
    store.put("a", { b: [1, 2] });
    assert.deepEqual(store.get("a"), { b: [1, 2] });
  });

  it("delete answers whether the key was there", () => {
    const store = new MemoryKeyValueStore();
    store.put("a", 1);
    assert.equal(store.delete("a"), true);
    assert.equal(store.delete("a"), false);
    assert.equal(store.get("a"), undefined);
  });

  it("keys are listed sorted, whatever the order of writes", () => {
    const store = new MemoryKeyValueStore();
    for (const k of ["b", "c", "a"]) store.put(k, k);
    assert.deepEqual(store.keys(), ["a", "b", "c"]);
  });

  it(`a new key past ${MAX_ENTRIES} entries is refused with RESOURCE_EXHAUSTED, an existing one is still replaced`, () => {
    const store = new MemoryKeyValueStore();
    for (let i = 0; i < MAX_ENTRIES; i++) store.put(`k${i}`, i);
    assert.throws(() => store.put("one-more", 1), (err: unknown) => RpcError.is(err) && err.code === "RESOURCE_EXHAUSTED");
    store.put("k0", "replaced");
    assert.equal(store.get("k0"), "replaced");
  });
});
