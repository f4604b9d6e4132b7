/**
 * Python's equality of dicts, sets and frozensets in shared objects, as Python clients see it:
 * `in`, `count`, `index` and `remove` on a shared list, frozensets as dict keys, and sets of
 * elements Python calls equal, byte for byte as Python's own SyncManager server answers under
 * 2.7 and 3.8-3.13.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { againstOwnServer, findPython3, managerFixture, pythonVersions } from "../fixtures/pymanager/python-run.js";

const EQUALITY = managerFixture("equality.py");

const python = findPython3("pymanager equality tests");
const VERSIONS = pythonVersions("equality against Python's own server");

describe("dicts and sets in shared objects compare as in Python", { skip: python === undefined }, () => {
  for (const [version, exe] of VERSIONS) {
    it(`in, count, index, remove and frozenset keys answer as Python's own server does (Python ${version})`, { skip: exe === undefined }, async (t) => {
      const { ours, theirs } = await againstOwnServer(t, exe!, EQUALITY);
      assert.equal(ours, theirs);
      if (version === "2.7") assert.match(ours, /^nested other False 0 ValueError \[\{'n': \{1: frozenset\(\[2\]\)\}\}\] is not in list$/m, "2.7's repr in 2.7's message");
      assert.match(ours, /^dict 1\.0 True 1 0$/m, "{'a': 1.0} is found as {'a': 1}");
      assert.match(ours, /^od reversed True 1 5$/m, "an OrderedDict in another order is not the stored one, but equals the Counter");
      assert.match(ours, /^key frozenset True 'fs' 'fs'$/m);
      assert.match(ours, /^merged \{1\} frozenset\(\{\(1, 2\)\}\)|^merged set\(\[1\]\) frozenset\(\[\(1, 2\)\]\)/m);
    });
  }
});
