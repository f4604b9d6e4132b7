/**
 * Values a Python client stores in SyncManager's shared objects, compared with Python's own
 * server byte for byte under 2.7 and 3.8-3.13: a range (2.7's xrange) is stored and read back
 * as a range, not the list of its ints; where Python iterates one it gives its ints. And what
 * farcall cannot store (an object of a class it does not know, a proxy inside a value) is
 * refused in words that say why, the connection still served.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { farcallManagerPort, findPython3, managerFixture, pythonVersions, runPython, startPython } from "../fixtures/pymanager/python-run.js";

const SYNC_SERVER = managerFixture("sync_server.py");
const STORED = managerFixture("stored_values.py");
const RUN_MS = 60_000;

const python = findPython3("pymanager stored-value tests");
const VERSIONS = pythonVersions("stored values against Python's own server");

describe("values stored in shared objects by Python clients", { skip: python === undefined }, () => {
  for (const [version, exe] of VERSIONS) {
    it(`a range stays a range, read back and nested, and iterates to its ints where Python iterates it (Python ${version}, as Python's own server)`, { skip: exe === undefined }, async (t) => {
      const own = startPython(exe!, [SYNC_SERVER], RUN_MS);
      t.after(() => own.child.kill());
      const theirs = await runPython(exe!, [STORED, "127.0.0.1", (await own.line()).split(" ")[1]!], RUN_MS);
      assert.equal(theirs.code, 0, theirs.stderr);
      const ours = await runPython(exe!, [STORED, "127.0.0.1", await farcallManagerPort(t)], RUN_MS);
      assert.equal(ours.code, 0, ours.stderr);
      assert.match(ours.stdout, /^done$/m, "the script ran to its end");
      assert.equal(ours.stdout, theirs.stdout);
      assert.match(ours.stdout, version === "2.7" ? /^range xrange xrange\(3\) True$/m : /^range range range\(0, 3\) True$/m);
    });
  }

  for (const [version, exe] of VERSIONS.filter(([v]) => v === "2.7" || v === "3.13")) {
    it(`an object of a class farcall does not know, a function and a proxy of the client's own class are refused saying why, and the dict is still served (Python ${version})`, { skip: exe === undefined }, async (t) => {
      const run = await runPython(exe!, [STORED, "127.0.0.1", await farcallManagerPort(t), "refusals"], RUN_MS);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, [
        "own class RemoteError TypeError: pickle refused: global __main__.Point is not allowed: this server runs no Python code, so it cannot call a Python callable or rebuild an object of a class it does not know",
        "function RemoteError TypeError: pickle refused: global posix.system is not allowed: this server runs no Python code, so it cannot call a Python callable or rebuild an object of a class it does not know",
        "own proxy class RemoteError TypeError: pickle refused: global __main__.OwnProxy is not allowed: a stored proxy must be one of multiprocessing.managers' own classes (AutoProxy, ListProxy, DictProxy, NamespaceProxy, ValueProxy, ArrayProxy, AcquirerProxy, ConditionProxy, EventProxy, BarrierProxy, IteratorProxy, PoolProxy)",
        "still served 0",
        "done",
        "",
      ].join("\n"));
    });
  }
});
