/**
 * How long a referent stored as a proxy inside another value lives (the manager server's
 * answer to Python's `id_to_local_proxy_obj`), that such referents count against
 * maxReferents, and that a stored proxy is a dict key and a list item by identity, as a
 * Python proxy object is.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { ReferentTable, type Referent } from "../../src/pymanager/referents.js";
import { StoredProxy } from "../../src/pymanager/shared/py-values.js";
import { hashKey, pyEquals } from "../../src/pymanager/shared/py-equality.js";
import { pyRepr } from "../../src/pymanager/repr.js";
import { encodePickle } from "../../src/pymanager/pickle/pickle.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/** Collects garbage until `done()` holds (FinalizationRegistry callbacks run in a later task), at most 50 rounds. */
async function collectUntil(done: () => boolean): Promise<void> {
  for (let i = 0; i < 50 && !done(); i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function storedProxy(referent: Referent): StoredProxy {
  const proxy = new StoredProxy("ListProxy", "list", ["127.0.0.1", 5000], referent.ident, undefined);
  proxy.referent = referent;
  referent.stored = true;
  return proxy;
}

describe("a referent stored as a proxy", () => {
  it("outlives its last client reference while a stored proxy of it lives, and is tracked again when a client increfs it", () => {
    const table = new ReferentTable({ maxReferents: 10 });
    const inner = table.add(["hello"], undefined, "", []);
    const holder = [storedProxy(inner)];
    table.decref(inner.ident);
    assert.equal(table.size, 0, "no client holds it: number_of_objects leaves it out, as Python's does");
    assert.equal(table.keptSize, 1);
    assert.equal(table.find(inner.ident), inner, "a client reading the stored proxy back still finds it");
    table.decref(inner.ident); // Python's server skips a decref of such an object
    assert.equal(table.find(inner.ident), inner);
    table.incref(inner.ident);
    assert.equal(table.size, 1);
    assert.equal(table.keptSize, 0);
    assert.equal(holder.length, 1);
  });

  it("is released once no stored proxy of it is reachable and no client holds it", async () => {
    const table = new ReferentTable({ maxReferents: 10 });
    let ident = "";
    (() => {
      const inner = table.add(["hello"], undefined, "", []);
      ident = inner.ident;
      storedProxy(inner); // stored in a value that is then dropped (the containing list freed)
      table.decref(ident);
    })();
    await collectUntil(() => table.keptSize === 0);
    assert.equal(table.keptSize, 0);
    assert.equal(table.find(ident), undefined);
    assert.throws(() => table.incref(ident), (e: unknown) => (e as { code?: string }).code === "KeyError");
  });

  it("counts against maxReferents", () => {
    const table = new ReferentTable({ maxReferents: 2 });
    const held: StoredProxy[] = [];
    for (let i = 0; i < 2; i++) {
      const r = table.add([i], undefined, "", []);
      held.push(storedProxy(r));
      table.decref(r.ident);
    }
    assert.equal(table.size, 0);
    assert.throws(() => table.add([], undefined, "", []), /the server holds 2 objects, maxReferents 2/);
    assert.equal(held.length, 2);
  });

  it("hashes and compares by identity, prints as Python's proxy, and pickles back as RebuildProxy of its class", () => {
    const table = new ReferentTable();
    const r = table.add([], undefined, "", []);
    const a = storedProxy(r);
    const b = storedProxy(r);
    assert.equal(hashKey(a), a);
    assert.notEqual(hashKey(a), hashKey(b));
    assert.ok(pyEquals(a, a));
    assert.ok(!pyEquals(a, b), "two proxies of one object are not equal, as in Python");
    assert.match(pyRepr([a]), /^\[<ListProxy object, typeid 'list' at 0x[0-9a-f]+>\]$/);
    const auto = new StoredProxy("AutoProxy", "Queue", ["127.0.0.1", 5000], r.ident, ["get", "put"]);
    assert.match(pyRepr(auto), /^<AutoProxy\[Queue\] object, typeid 'Queue' at 0x[0-9a-f]+>$/);
    const bytes = Buffer.from(encodePickle(auto)).toString("latin1");
    for (const part of ["RebuildProxy", "AutoProxy", "Token", "exposed", "pickle", "Queue", r.ident]) assert.ok(bytes.includes(part), part);
  });
});
