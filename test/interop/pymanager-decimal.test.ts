/**
 * Decimals in shared objects as Python clients see them: any exponent as a dict key, in
 * `in`, `count`, `index` and `sort()`, byte for byte as Python's own SyncManager server
 * answers under 2.7 and 3.8-3.13; and a Decimal made in TypeScript printed as Python prints it.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PyDecimal, serve, SharedDict } from "../../src/index.js";
import { againstOwnServer, findPython3, managerFixture, pythonVersions, runPython } from "../fixtures/pymanager/python-run.js";

const DECIMALS = managerFixture("decimals.py");
const RUN_MS = 60_000;

const python = findPython3("pymanager Decimal tests");
const VERSIONS = pythonVersions("Decimals against Python's own server");

/** Python 2.7 orders a Fraction against a Decimal by its mixed-type rules; this server orders them by value, as Python 3. */
const PY2_OWN_RULES = /^(sorted|reversed) /;

describe("Decimals in shared objects", { skip: python === undefined }, () => {
  for (const [version, exe] of VERSIONS) {
    it(`of any exponent key, compare and sort as on Python's own server (Python ${version})`, { skip: exe === undefined }, async (t) => {
      const { ours, theirs } = await againstOwnServer(t, exe!, DECIMALS);
      const keep = (text: string) => (version === "2.7" ? text.split("\n").filter((line) => !PY2_OWN_RULES.test(line)).join("\n") : text);
      assert.equal(keep(ours), keep(theirs));
      assert.match(ours, /^key huge True 'huge'$/m, "Decimal('10e999998') finds the key Decimal('1e999999')");
      assert.match(ours, /^key float-exact True 'float-exact'$/m, "2.0 ** 60 finds the key 2 ** 60");
    });
  }

  it("a Decimal TypeScript stored prints in the server's str() as Python prints it", async (t) => {
    const shared = new SharedDict<string, unknown>([["x", new PyDecimal("1e3")], ["y", new PyDecimal(".5")]]);
    const server = await serve({ shared }, { listen: "pymanager://127.0.0.1:0", authkey: "password", logger: false });
    t.after(() => server.close());
    const port = server.addresses[0]!.split(":").pop()!;
    const read = await runPython(python!, ["-c", `
from multiprocessing.managers import DictProxy, SyncManager
SyncManager.register('shared', proxytype=DictProxy)
m = SyncManager(address=('127.0.0.1', ${port}), authkey=b'password'); m.connect()
d = m.shared()
print(str(d), repr(d['x']), str(d['y']))`], RUN_MS);
    assert.equal(read.stdout, "{'x': Decimal('1E+3'), 'y': Decimal('0.5')} Decimal('1E+3') 0.5\n", read.stderr);
  });
});
