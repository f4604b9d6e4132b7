import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { IdMap } from "../../src/core/id-map.js";
import { Prng } from "../fixtures/hostile/prng.js";

describe("IdMap", () => {
  it("a sliding window of sequential ids is found, taken and forgotten like a Map's (100,000 ids, 100 in flight)", () => {
    const map = new IdMap<string>();
    const model = new Map<number, string>();
    let next = 1;
    for (let i = 0; i < 100; i++, next++) (map.set(next, `v${next}`), model.set(next, `v${next}`));
    for (let low = 1; low <= 100_000; low++) {
      assert.equal(map.take(low), `v${low}`);
      model.delete(low);
      assert.equal(map.get(low), undefined);
      map.set(next, `v${next}`);
      model.set(next, `v${next}`);
      next++;
      assert.equal(map.size, model.size);
    }
    assert.deepEqual(map.values().sort(), [...model.values()].sort());
  });

  it("ids that all fall into one slot (a peer's choice) are all kept and found, beside the ring", () => {
    const map = new IdMap<number>();
    const ids = Array.from({ length: 3000 }, (_, i) => i * 1024 + 7);
    for (const id of ids) map.set(id, id);
    assert.equal(map.size, ids.length);
    for (const id of ids) assert.equal(map.get(id), id);
    assert.equal(map.has(7 + 512), false);
    for (const id of ids.slice(0, 1500)) assert.equal(map.take(id), id);
    for (const id of ids.slice(0, 1500)) assert.equal(map.get(id), undefined);
    for (const id of ids.slice(1500)) assert.equal(map.get(id), id);
    assert.equal(map.size, 1500);
  });

  it("random unsigned 32-bit ids, 0 and 2^32 - 1 included, agree with a Map through sets, takes, growth and clear (seeded)", () => {
    const rng = new Prng(15);
    const map = new IdMap<object>();
    const model = new Map<number, object>();
    const pick = (): number => (rng.next() < 0.05 ? (rng.next() < 0.5 ? 0 : 0xffffffff) : Math.floor(rng.next() * 0x100000000));
    for (let step = 0; step < 20_000; step++) {
      const id = rng.next() < 0.5 && model.size > 0 ? [...model.keys()][rng.int(0, model.size - 1)]! : pick();
      if (model.has(id)) {
        assert.equal(map.take(id), model.get(id));
        model.delete(id);
      } else {
        const value = { id };
        map.set(id, value);
        model.set(id, value);
      }
      assert.equal(map.size, model.size);
      if (step % 5000 === 4999) {
        for (const [key, value] of model) assert.equal(map.get(key), value);
        assert.equal(map.values().length, model.size);
      }
    }
    map.clear();
    assert.equal(map.size, 0);
    for (const key of model.keys()) assert.equal(map.get(key), undefined);
  });

  it("an id taken twice or never set gives undefined and leaves the size alone", () => {
    const map = new IdMap<string>();
    map.set(5, "five");
    assert.equal(map.take(5), "five");
    assert.equal(map.take(5), undefined);
    assert.equal(map.take(21), undefined);
    assert.equal(map.size, 0);
  });
});
