/**
 * Values come back as they went: a real Python client stores each value of a table through
 * farcall's pymanager:// listener (the demo service's put) and reads it back (get, then the
 * proxy's _getvalue()), and test/fixtures/pymanager/value_table.py compares the exact Python
 * type, recursively: tuple, list, dict with str/int/tuple keys, set, frozenset, bytes,
 * bytearray, big ints, float, date, naive and aware datetimes with microseconds. It also
 * compares what printing the proxy shows (the server's repr) with Python's repr.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { serve, type Server } from "../../src/index.js";
import { createDemoService } from "../../src/demo/service.js";
import { findPyenv, findPython3, runPython } from "../fixtures/pymanager/python-run.js";

const python = findPython3("pymanager value round trips");
const TABLE = fileURLToPath(new URL("../fixtures/pymanager/value_table.py", import.meta.url));

describe("a Python client's values through farcall's manager listener come back with their exact type", { skip: python === undefined }, () => {
  let server: Server;
  before(async () => {
    server = await serve(createDemoService(), { listen: [{ url: "pymanager://127.0.0.1:0", authkey: "password" }], logger: false });
  });
  after(() => server.close());

  // python3 (3.11 here), then the versions whose handshake or pickles differ (3.12 and 3.13:
  // the {sha256} handshake, pickle protocol 5 available).
  const interpreters: Array<[string, string | undefined]> = [["python3", python], ["3.12", findPyenv("3.12", "the value table under 3.12")], ["3.13", findPyenv("3.13", "the value table under 3.13")]];
  for (const [label, exe] of interpreters) {
    it(`every value of the table, and its repr, from Python ${label}`, { skip: exe === undefined }, async () => {
      const port = server.addresses[0]!.slice(server.addresses[0]!.lastIndexOf(":") + 1);
      const run = await runPython(exe!, [TABLE, "127.0.0.1", port, "password"], 60_000);
      assert.equal(run.code, 0, run.stderr);
      const lines = run.stdout.trim().split("\n");
      assert.deepEqual(lines.filter((l) => !l.startsWith("ok ")), [], "every value came back with its type and repr");
      assert.equal(lines.length, 26, "the whole table ran");
    });
  }
});
