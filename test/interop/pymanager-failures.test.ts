/**
 * Failures as Python's own manager server answers them, checked against it byte for byte under
 * Python 2.7 and 3.8-3.13: a failed `create` (and any failed server request, an unknown object,
 * an unexposed method) is a traceback the client raises as RemoteError, ending in Python's own
 * exception line; a shared object's own method raises the exception itself, also when called
 * with arguments it does not take. The traceback text has the shape of Python's own: its frames'
 * functions, exception lines and chaining. And 2.7's `c` array, served to 2.7 and refused to Python 3
 * as each one's own server does.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { serve } from "../../src/index.js";
import { findPython3, managerFixture, pythonVersions, runPython, startPython } from "../fixtures/pymanager/python-run.js";

const SYNC_SERVER = managerFixture("sync_server.py");
const SERVER_FAILURES = managerFixture("server_failures.py");
const ARRAY_C = managerFixture("array_c.py");
const METHOD_ARGUMENTS = managerFixture("method_arguments.py");
const TRACEBACKS = managerFixture("tracebacks.py");
const RUN_MS = 60_000;

const python = findPython3("pymanager failure tests");
const VERSIONS = pythonVersions("manager failures against Python's own server");

describe("failures answered as Python's own manager server answers them", { skip: python === undefined }, () => {
  for (const [version, exe] of VERSIONS) {
    it(`a failed create, an unknown typeid, object or request and an unexposed method raise RemoteError with Python's last line and traceback shape; a shared object's own failure raises the exception (Python ${version})`, { skip: exe === undefined }, async (t) => {
      const own = startPython(exe!, [SYNC_SERVER], RUN_MS);
      t.after(() => own.child.kill());
      const ownPort = (await own.line()).split(" ")[1]!;
      const server = await serve({}, { listen: "pymanager://127.0.0.1:0", authkey: "password", logger: false });
      t.after(() => server.close());
      const port = server.addresses[0]!.split(":").pop()!;
      for (const script of [SERVER_FAILURES, ARRAY_C, METHOD_ARGUMENTS, TRACEBACKS]) {
        const theirs = await runPython(exe!, [script, "127.0.0.1", ownPort], RUN_MS);
        assert.equal(theirs.code, 0, theirs.stderr);
        const ours = await runPython(exe!, [script, "127.0.0.1", port], RUN_MS);
        assert.equal(ours.code, 0, ours.stderr);
        assert.match(ours.stdout, /^done$/m, "the script ran to its end");
        assert.equal(ours.stdout, theirs.stdout, script);
        if (script === SERVER_FAILURES) {
          assert.match(ours.stdout, /^unknown typeid RemoteError str True "KeyError: 'NoSuch'"$/m);
          assert.match(ours.stdout, /^own method KeyError "'k'" KeyError "\(1, 'y'\)"/m);
        } else if (script === TRACEBACKS) {
          assert.match(ours.stdout, /^== unknown typeid str True\nTraceback \(most recent call last\):\n  File, in handle_request\n  File, in create\nKeyError: 'NoSuch'$/m);
        } else if (script === METHOD_ARGUMENTS) {
          assert.match(ours.stdout, /^dict unchanged \[\('a', 1\)\]$/m, "no call ran on a missing argument");
        } else if (version === "2.7") {
          assert.match(ours.stdout, /^read 3 'a' str 'c' array\('c', 'abc'\)/m);
        } else {
          assert.match(ours.stdout, /^str RemoteError TypeError: cannot use a str to initialize an array with typecode 'c'$/m);
        }
      }
    });
  }
});
