/**
 * Python's equality of dicts, sets and frozensets in shared objects, as Python clients see it:
 * `in`, `count`, `index` and `remove` on a shared list, frozensets as dict keys, and sets of
 * elements Python calls equal, byte for byte as Python's own SyncManager server answers under
 * 2.7 and 3.8-3.13.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { farcallManagerPort, findPython3, managerFixture, pythonVersions, runPython, startPython } from "../fixtures/pymanager/python-run.js";

const SYNC_SERVER = managerFixture("sync_server.py");
const EQUALITY = managerFixture("equality.py");
const RUN_MS = 60_000;

const python = findPython3("pymanager equality tests");
const VERSIONS = pythonVersions("equality against Python's own server");

/** A ValueError's text holds the value's repr, which this server writes in Python 3's words to every client. */
const PY2_REPR_IN_MESSAGE = /^nested other /;

describe("dicts and sets in shared objects compare as in Python", { skip: python === undefined }, () => {
  for (const [version, exe] of VERSIONS) {
    it(`in, count, index, remove and frozenset keys answer as Python's own server does (Python ${version})`, { skip: exe === undefined }, async (t) => {
      const own = startPython(exe!, [SYNC_SERVER], RUN_MS);
      t.after(() => own.child.kill());
      const ownPort = (await own.line()).split(" ")[1]!;
      const port = await farcallManagerPort(t);
      const theirs = await runPython(exe!, [EQUALITY, "127.0.0.1", ownPort], RUN_MS);
      assert.equal(theirs.code, 0, theirs.stderr);
      const ours = await runPython(exe!, [EQUALITY, "127.0.0.1", port], RUN_MS);
      assert.equal(ours.code, 0, ours.stderr);
      assert.match(ours.stdout, /^done$/m, "the script ran to its end");
      const keep = (text: string) => (version === "2.7" ? text.split("\n").filter((line) => !PY2_REPR_IN_MESSAGE.test(line)).join("\n") : text);
      assert.equal(keep(ours.stdout), keep(theirs.stdout));
      assert.match(ours.stdout, /^dict 1\.0 True 1 0$/m, "{'a': 1.0} is found as {'a': 1}");
      assert.match(ours.stdout, /^od reversed True 1 5$/m, "an OrderedDict in another order is not the stored one, but equals the Counter");
      assert.match(ours.stdout, /^key frozenset True 'fs' 'fs'$/m);
      assert.match(ours.stdout, /^merged \{1\} frozenset\(\{\(1, 2\)\}\)|^merged set\(\[1\]\) frozenset\(\[\(1, 2\)\]\)/m);
    });
  }
});
