/**
 * Standard library values (Decimal, Fraction, complex, OrderedDict, deque, Counter,
 * datetime.time, timedelta, UUID) stored by Python clients in shared objects: read back with
 * the same exact type and value, printed, used as dict keys, compared and sorted as Python's
 * own SyncManager server does, byte for byte under 3.8-3.13; under 2.7 the same but for the
 * numeric tower (2.7 hashes a Decimal apart from the equal float; this server follows Python
 * 3). And what TypeScript reads and stores: the value classes themselves, over farcall/1.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PyComplex, PyDecimal, PyFraction, PyTime, PyUUID } from "../../src/index.js";
import { farcallManagerPort, findPython3, managerFixture, pythonVersions, runPython, sharedDictFixture, startPython } from "../fixtures/pymanager/python-run.js";

const SYNC_SERVER = managerFixture("sync_server.py");
const STDLIB = managerFixture("stdlib_values.py");
const RUN_MS = 60_000;

const python = findPython3("pymanager stdlib-value tests");
const VERSIONS = pythonVersions("stdlib values against Python's own server");

/** Lines where Python 2.7's own server answers by 2.7's numeric keys, which this server does not follow (one dict serves every client). */
const PY2_OWN_RULES = /^keys /;

describe("standard library values in shared objects", { skip: python === undefined }, () => {
  for (const [version, exe] of VERSIONS) {
    it(`come back with their exact type and value, print, key, compare and sort as Python's own server does (Python ${version})`, { skip: exe === undefined }, async (t) => {
      const own = startPython(exe!, [SYNC_SERVER], RUN_MS);
      t.after(() => own.child.kill());
      const ownPort = (await own.line()).split(" ")[1]!;
      const port = await farcallManagerPort(t);
      const theirs = await runPython(exe!, [STDLIB, "127.0.0.1", ownPort], RUN_MS);
      assert.equal(theirs.code, 0, theirs.stderr);
      const ours = await runPython(exe!, [STDLIB, "127.0.0.1", port], RUN_MS);
      assert.equal(ours.code, 0, ours.stderr);
      assert.match(ours.stdout, /^done$/m, "the script ran to its end");
      assert.doesNotMatch(ours.stdout, /DIFFERENT/);
      assert.ok((ours.stdout.match(/^same /gm) ?? []).length >= 29);
      if (version === "2.7") {
        const keep = (text: string) => text.split("\n").filter((line) => !PY2_OWN_RULES.test(line)).join("\n");
        assert.equal(keep(ours.stdout), keep(theirs.stdout));
        assert.match(ours.stdout, /^ordered \[OrderedDict\(\[\('a', 1\), \(2, 'b'\)\]\)\]/m);
      } else {
        assert.equal(ours.stdout, theirs.stdout);
        assert.match(ours.stdout, version === "3.12" || version === "3.13" ? /^ordered \[OrderedDict\(\{'a': 1, 2: 'b'\}\)\]/m : /^ordered \[OrderedDict\(\[\('a', 1\), \(2, 'b'\)\]\)\]/m);
      }
      assert.match(ours.stdout, /^keys 9 \[1, 1, 1, 1, 1, 2, 2, 3, 6\] 6 2 2 1$/m, "1, Decimal(1), 1.0, Fraction(1), 1+0j and True are one key; Decimal('1.5'), 1.5 and Fraction(3, 2) another");
    });
  }

  it("a farcall/1 client reads the value classes a Python client stored, and a Python client reads those TypeScript stored with their exact type", async (t) => {
    const { client, script } = await sharedDictFixture(t, "import collections, datetime, decimal, fractions, uuid");
    const put = await runPython(python!, ["-c", script("d['py'] = [decimal.Decimal('2.50'), fractions.Fraction(2, 6), 3-4j, datetime.time(4, 5, 6), uuid.UUID(int=9)]")], RUN_MS);
    assert.equal(put.code, 0, put.stderr);
    const [dec, frac, cpx, time, id] = (await client.shared.get("py")) as [PyDecimal, PyFraction, PyComplex, PyTime, PyUUID];
    assert.ok(dec instanceof PyDecimal && dec.text === "2.50");
    assert.ok(frac instanceof PyFraction && frac.numerator === 1n && frac.denominator === 3n);
    assert.ok(cpx instanceof PyComplex && cpx.real === 3 && cpx.imag === -4);
    assert.ok(time instanceof PyTime && time.hour === 4 && time.second === 6);
    assert.ok(id instanceof PyUUID && id.int === 9n);
    await client.shared.set("ts", [new PyDecimal("0.1"), new PyFraction(-1, 2), new PyComplex(0, 1), new PyTime(23, 0, 0, 5), new PyUUID("12345678-1234-5678-1234-567812345678")]);
    const read = await runPython(python!, ["-c", script("print([(type(v).__name__, v) for v in d['ts']])")], RUN_MS);
    assert.equal(read.stdout, "[('Decimal', Decimal('0.1')), ('Fraction', Fraction(-1, 2)), ('complex', 1j), ('time', datetime.time(23, 0, 0, 5)), ('UUID', UUID('12345678-1234-5678-1234-567812345678'))]\n", read.stderr);
  });
});
