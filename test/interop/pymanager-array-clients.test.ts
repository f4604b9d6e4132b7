/**
 * What farcall's manager server can tell of a Python client's version, used to refuse what
 * that client could not read back: an `array('w')` (new in 3.13) is refused to a client the
 * handshake shows is older than 3.12, as that Python's own server refuses it (a traceback, which
 * the client raises as RemoteError).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { serve } from "../../src/index.js";
import { findPyenv, findPython3, runPython, startPython } from "../fixtures/pymanager/python-run.js";

const ARRAY_W = fileURLToPath(new URL("../fixtures/pymanager/array_w.py", import.meta.url));
const SYNC_SERVER = fileURLToPath(new URL("../fixtures/pymanager/sync_server.py", import.meta.url));
const RUN_MS = 60_000;
const python = findPython3("pymanager array client tests");

describe("an array('w') created by a Python manager client", { skip: python === undefined }, () => {
  for (const version of ["2.7", "3.8", "3.11"]) {
    const exe = findPyenv(version, "array('w') refusal");
    it(`is refused to Python ${version}, whose array module has no 'w', as that Python's own server refuses it`, { skip: exe === undefined }, async (t) => {
      const own = startPython(exe!, [SYNC_SERVER], RUN_MS);
      t.after(() => own.child.kill());
      const theirs = await runPython(exe!, [ARRAY_W, "127.0.0.1", (await own.line()).split(" ")[1]!], RUN_MS);
      assert.equal(theirs.code, 0, theirs.stderr);
      const server = await serve({}, { listen: "pymanager://127.0.0.1:0", authkey: "password", logger: false });
      t.after(() => server.close());
      const run = await runPython(exe!, [ARRAY_W, "127.0.0.1", server.addresses[0]!.split(":").pop()!], RUN_MS);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, theirs.stdout);
      assert.match(run.stdout, version === "2.7"
        ? /^refused RemoteError ValueError: bad typecode \(must be c, b, B, u, h, H, i, I, l, L, f or d\)\n/
        : /^refused RemoteError TypeError: cannot use a str to initialize an array with typecode 'w'\nrefused RemoteError ValueError: bad typecode/);
    });
  }

  const exe313 = findPyenv("3.13", "array('w') on 3.13");
  it("is served to Python 3.13 and read back whole", { skip: exe313 === undefined }, async (t) => {
    const server = await serve({}, { listen: "pymanager://127.0.0.1:0", authkey: "password", logger: false });
    t.after(() => server.close());
    const run = await runPython(exe313!, [ARRAY_W, "127.0.0.1", server.addresses[0]!.split(":").pop()!], RUN_MS);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, "created x array('w', 'xy')\ncreated x array('w', 'xy')\n");
  });
});
