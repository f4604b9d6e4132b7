import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { IdMap } from "../../src/core/id-map.js";
import { Prng } from "../fixtures/hostile/prng.js";

interface Entry {
  readonly id: number;
}

describe("IdMap", () => {
  it("a sliding window of sequential ids is found, taken and forgotten like a Map's (100,000 ids, 100 in flight)", () => {
    const map = new IdMap<Entry>();
    const model = new Map<number, Entry>();
    const put = (id: number): void => {
      const entry = { id };
      map.add(entry);
      model.set(id, entry);
    };
    let next = 1;
    for (; next <= 100; next++) put(next);
    for (let low = 1; low <= 100_000; low++, next++) {
      assert.equal(map.take(low), model.get(low));
      model.delete(low);
      assert.equal(map.get(low), undefined);
      put(next);
      assert.equal(map.size, model.size);
    }
    assert.deepEqual(new Set(map.drain()), new Set(model.values()));
    assert.equal(map.size, 0);
  });

  it("ids that all fall into one slot (a peer's choice) are all kept and found, beside the ring", () => {
    const map = new IdMap<Entry>();
    const ids = Array.from({ length: 3000 }, (_, i) => i * 256 + 7);
    for (const id of ids) map.add({ id });
    assert.equal(map.size, ids.length);
    for (const id of ids) assert.equal(map.get(id)?.id, id);
    assert.equal(map.get(7 + 128), undefined);
    for (const id of ids.slice(0, 1500)) assert.equal(map.take(id)?.id, id);
    for (const id of ids.slice(0, 1500)) assert.equal(map.get(id), undefined);
    for (const id of ids.slice(1500)) assert.equal(map.get(id)?.id, id);
    assert.equal(map.size, 1500);
  });

  it("random unsigned 32-bit ids, 0 and 2^32 - 1 included, agree with a Map through adds, takes and drain (seeded)", () => {
    const rng = new Prng(15);
    const map = new IdMap<Entry>();
    const model = new Map<number, Entry>();
    const pick = (): number => (rng.next() < 0.05 ? (rng.next() < 0.5 ? 0 : 0xffffffff) : Math.floor(rng.next() * 0x100000000));
    for (let step = 0; step < 20_000; step++) {
      // Half the steps reuse a live id's low bits, so slots are contended.
      const id = rng.next() < 0.5 && model.size > 0 ? [...model.keys()][rng.int(0, model.size - 1)]! : pick();
      if (model.has(id)) {
        assert.equal(map.take(id), model.get(id));
        model.delete(id);
      } else {
        const entry = { id };
        map.add(entry);
        model.set(id, entry);
      }
      assert.equal(map.size, model.size);
      if (step % 5000 === 4999) {
        for (const [key, entry] of model) assert.equal(map.get(key), entry);
        assert.equal(map.size, model.size);
      }
    }
    assert.deepEqual(new Set(map.drain()), new Set(model.values()));
    assert.equal(map.size, 0);
    for (const key of model.keys()) assert.equal(map.get(key), undefined);
  });

  it("an id taken twice or never added gives undefined and leaves the size alone", () => {
    const map = new IdMap<Entry>();
    assert.equal(map.get(5), undefined, "nothing before the first add");
    map.add({ id: 5 });
    assert.equal(map.take(5)?.id, 5);
    assert.equal(map.take(5), undefined);
    assert.equal(map.take(5 + 256), undefined);
    assert.equal(map.size, 0);
  });
});
