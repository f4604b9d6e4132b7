/**
 * A program's own Python classes (`pymanager: { classes }`): instances stored by a Python
 * client come back to every Python reader as instances of the same class, equal, usable as
 * keys and in lists, exactly as with Python's own SyncManager server when that server can
 * import the class; a class the listener does not name is still refused; TypeScript reads
 * them as PyObject and writes them back unchanged.
 */
import assert from "node:assert/strict";
import { describe, it, test } from "node:test";
import { close, connect, PyObject, serve } from "../../src/index.js";
import { findPython3, managerFixture, pythonVersions, runPython, sharedDictFixture, startPython } from "../fixtures/pymanager/python-run.js";

const SYNC_SERVER = managerFixture("sync_server.py");
const OWN_CLASSES = managerFixture("own_classes.py");
const CLASSES_DIR = managerFixture("classes");
const RUN_MS = 60_000;
const CLASSES = ["shapes.Box", "shapes.Pair", "shapes.Slot", "shapes.Point", "shapes.Color"];

const python = findPython3("pymanager own-class tests");
const VERSIONS = pythonVersions("own classes against Python's own server");

async function farcallPort(t: { after(fn: () => unknown): void }, entry: object): Promise<string> {
  const server = await serve({}, { listen: [entry as never], authkey: "password", logger: false });
  t.after(() => server.close());
  return server.addresses[0]!.split(":").pop()!;
}

describe("a program's own classes in shared objects", { skip: python === undefined }, () => {
  for (const [version, exe] of VERSIONS) {
    it(`come back as instances of the same class, equal, as keys and list items, as from Python's own server (Python ${version})`, { skip: exe === undefined }, async (t) => {
      const own = startPython(exe!, [SYNC_SERVER], RUN_MS, { PYTHONPATH: CLASSES_DIR });
      t.after(() => own.child.kill());
      const ownPort = (await own.line()).split(" ")[1]!;
      const port = await farcallPort(t, { url: "pymanager://127.0.0.1:0", pymanager: { classes: CLASSES } });
      const theirs = await runPython(exe!, [OWN_CLASSES, "127.0.0.1", ownPort], RUN_MS);
      assert.equal(theirs.code, 0, theirs.stderr);
      const ours = await runPython(exe!, [OWN_CLASSES, "127.0.0.1", port], RUN_MS);
      assert.equal(ours.code, 0, ours.stderr);
      assert.match(ours.stdout, /^done$/m);
      // Python's server, which can import shapes, stores the unlisted class too; farcall refuses it.
      assert.match(theirs.stdout, /^unlisted stored$/m);
      assert.match(ours.stdout, /^unlisted RemoteError$/m);
      const same = (text: string) => text.replace(/^unlisted .*$/m, "");
      assert.equal(same(ours.stdout), same(theirs.stdout));
      assert.match(ours.stdout, /^value box Box True Box\(1, \[2, 3\]\)$/m);
      assert.match(ours.stdout, /^value pair Pair True Pair\(left=1, right='a'\)$/m);
      if (version !== "2.7") assert.match(ours.stdout, /^value point Point True Point\(x=1, y=2\.5, tags=\('x',\)\)$/m);
      assert.match(ours.stdout, /^key keyed True \d+$/m);
      assert.match(ours.stdout, /^list True 1 0$/m);
    });
  }

  it("a one-port tcp:// listener with silenceMs and classes stores them too", async (t) => {
    const port = await farcallPort(t, { url: "tcp://127.0.0.1:0", pymanager: { silenceMs: 10, classes: CLASSES } });
    const run = await runPython(python!, [OWN_CLASSES, "127.0.0.1", port], RUN_MS);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^value nested list True /m);
    assert.match(run.stdout, /^unlisted RemoteError$/m);
  });

  it("a farcall/1 client reads a PyObject and writes it back; Python reads its own class", async (t) => {
    const { client, script } = await sharedDictFixture(t, `import sys\nsys.path.insert(0, ${JSON.stringify(CLASSES_DIR)})\nimport shapes`, { classes: CLASSES });
    const put = await runPython(python!, ["-c", script("d['box'] = shapes.Box(1, 'w'); d['pair'] = shapes.Pair(2, None); d['marked'] = shapes.Box((1, 2), frozenset([(3,)]))")], RUN_MS);
    assert.equal(put.code, 0, put.stderr);
    const box = (await client.shared.get("box")) as PyObject;
    assert.ok(box instanceof PyObject);
    assert.equal(box.className, "shapes.Box");
    assert.equal(box.build, "newobj");
    assert.deepEqual(box.state, { w: 1, h: "w" });
    const pair = (await client.shared.get("pair")) as PyObject;
    assert.deepEqual([pair.className, [...pair.args], pair.state], ["shapes.Pair", [2, null], undefined]);
    await client.shared.set("box2", box);
    // Python's types inside a PyObject's state keep their marks over farcall/1 too.
    await client.shared.set("marked2", await client.shared.get("marked"));
    await client.shared.set("made", new PyObject("shapes.Box", [], { w: 7, h: 8 }));
    const read = await runPython(python!, ["-c", script("print(d['box2'], d['box2'] == d['box'], d['made'], type(d['made']).__name__, d['marked2'], d['marked2'] == d['marked'])")], RUN_MS);
    assert.equal(read.stdout, "Box(1, 'w') True Box(7, 8) Box Box((1, 2), frozenset({(3,)})) True\n", read.stderr);
  });
});

describe("farcall's pymanager:// client with the classes option, against Python's own server", { skip: python === undefined }, () => {
  it("reads a program's own class instances as PyObject and stores one back; without the option they are refused, naming the class", async (t) => {
    const own = startPython(python!, [managerFixture("classes_server.py")], RUN_MS);
    t.after(() => own.child.kill());
    const url = `pymanager://127.0.0.1:${(await own.line()).split(" ")[1]!}`;
    type Store = { store: { get(key: string): unknown; setdefault(key: string, value: unknown): unknown } };
    const client = await connect<Store>(url, { authkey: "password", pymanager: { classes: CLASSES } });
    t.after(() => close(client));
    const box = (await client.store.get("box")) as PyObject;
    assert.ok(box instanceof PyObject);
    assert.deepEqual([box.className, box.build, box.state], ["shapes.Box", "newobj", { w: 1, h: "w" }]);
    const pair = (await client.store.get("pair")) as PyObject;
    assert.deepEqual([pair.className, [...pair.args]], ["shapes.Pair", [2, null]]);
    // Python's server unpickles what the client sends: the class must be importable there, as it is.
    await client.store.setdefault("made", new PyObject("shapes.Box", [], { w: 7, h: 8 }));
    const made = (await client.store.get("made")) as PyObject;
    assert.deepEqual([made.className, made.state], ["shapes.Box", { w: 7, h: 8 }]);
    const plain = await connect<Store>(url, { authkey: "password" });
    t.after(() => close(plain));
    await assert.rejects(plain.store.get("box"), /global shapes\.Box is not allowed/);
    await assert.rejects(connect(url, { authkey: "password", pymanager: { classes: ["os.system"] } }), /os\.system is not a program's own class/);
    await assert.rejects(connect(url, { authkey: "password", pymanager: { silenceMs: 1 } as never }), /pymanager must be \{ classes\? \}/);
  });
});

test("the classes option refuses what is not a program's own class name, and silenceMs where it has no meaning", async () => {
  const listen = (entry: object) => serve({}, { listen: [entry as never], logger: false });
  await assert.rejects(listen({ url: "pymanager://127.0.0.1:0", pymanager: { classes: ["os.system"] } }), /os\.system is not a program's own class/);
  await assert.rejects(listen({ url: "pymanager://127.0.0.1:0", pymanager: { classes: ["builtins.eval"] } }), /not a program's own class/);
  await assert.rejects(listen({ url: "pymanager://127.0.0.1:0", pymanager: { classes: ["Point"] } }), /"Point" is not a "module\.Name" class name/);
  await assert.rejects(listen({ url: "pymanager://127.0.0.1:0", pymanager: { classes: "shapes.Box" } }), /must be an array/);
  await assert.rejects(listen({ url: "pymanager://127.0.0.1:0", pymanager: { silenceMs: 10 } }), /silenceMs has no meaning on a pymanager:\/\/ listener/);
  await assert.rejects(listen({ url: "tcp://127.0.0.1:0", pymanager: { classes: ["shapes.Box"] } }), /needs silenceMs/);
  await assert.rejects(listen({ url: "pymanager://127.0.0.1:0", pymanager: { classes: [], extra: 1 } }), /not "extra"/);
  assert.throws(() => new PyObject("Box"), /not a qualified Python class name/);
});
