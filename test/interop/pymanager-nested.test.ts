/**
 * Proxies stored inside shared objects (Python's documented `a.append(b)`, a dict inside a
 * dict, a queue of proxies), checked against Python's own SyncManager server byte for byte
 * under 3.8-3.13; what a 2.7 client gets (its own server stores the object itself, farcall a
 * proxy); the authkey a client dials a read-back proxy with; the tokens refused; and what a
 * farcall/1 or JSON-RPC client reads where a Python client stored a proxy.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { close, connect, serve, SharedDict } from "../../src/index.js";
import { farcallManagerPort, findPython3, managerFixture, pythonVersions, runPython, startPython } from "../fixtures/pymanager/python-run.js";

const SYNC_SERVER = managerFixture("sync_server.py");
const NESTED = managerFixture("nested_proxies.py");
const WRITER = managerFixture("nested_writer.py");
const RUN_MS = 60_000;

const python = findPython3("pymanager nested-proxy tests");
const VERSIONS = pythonVersions("nested proxies against Python's own server");

describe("proxies stored inside shared objects", { skip: python === undefined }, () => {
  for (const [version, exe] of VERSIONS.filter(([v]) => v !== "2.7")) {
    it(`a.append(b), a dict in a dict and a queue of proxies read back as working proxies of their class, printed, compared and kept as Python's own server does (Python ${version})`, { skip: exe === undefined }, async (t) => {
      const own = startPython(exe!, [SYNC_SERVER], RUN_MS);
      t.after(() => own.child.kill());
      const ownPort = (await own.line()).split(" ")[1]!;
      const port = await farcallManagerPort(t);
      for (const mode of [[], ["noauthkey"]]) {
        const theirs = await runPython(exe!, [NESTED, "127.0.0.1", ownPort, ...mode], RUN_MS);
        assert.equal(theirs.code, 0, theirs.stderr);
        const ours = await runPython(exe!, [NESTED, "127.0.0.1", port, ...mode], RUN_MS);
        assert.equal(ours.code, 0, ours.stderr);
        assert.match(ours.stdout, /^done$/m, "the script ran to its end");
        assert.equal(ours.stdout, theirs.stdout);
      }
      const ours = await runPython(exe!, [NESTED, "127.0.0.1", port], RUN_MS);
      assert.match(ours.stdout, /^\[<ListProxy object, typeid 'list' at 0x\?>\] \[\]\n\['hello'\] \['hello'\]$/m, "the documentation's example");
      assert.match(ours.stdout, /^kept \['kept'\]$/m, "a stored proxy keeps its referent after the client's own proxy is gone");
      if (version !== "3.8") assert.match(ours.stdout, /^queue itself AutoProxy\[Queue\] through the nested queue$/m);
    });
  }

  const py27 = VERSIONS.find(([v]) => v === "2.7")![1];
  it("a Python 2.7 client stores proxies and reads them back as working proxies (2.7's own server stores the object itself and reads back copies)", { skip: py27 === undefined }, async (t) => {
    const port = await farcallManagerPort(t);
    const run = await runPython(py27!, [NESTED, "127.0.0.1", port], RUN_MS);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^\[<ListProxy object, typeid 'list' at 0x\?>\] \[\]\n\['hello'\] \['hello'\]$/m);
    assert.match(run.stdout, /^dict \{'inner': <DictProxy object, typeid 'dict' at 0x\?>\} 1 \{'x': 1\} DictProxy$/m);
    assert.match(run.stdout, /^queue itself AutoProxy\[Queue\] through the nested queue$/m);
    const noKey = await runPython(py27!, [NESTED, "127.0.0.1", port, "noauthkey"], RUN_MS);
    assert.match(noKey.stdout, /^own authkey AuthenticationError digest sent was rejected$/m, "a read-back proxy dials with the process's own authkey");
  });

  for (const [version, exe] of VERSIONS.filter(([v]) => v === "2.7" || v === "3.13")) {
    it(`a token naming another server or an object the server does not hold is refused with RemoteError, nothing stored (Python ${version})`, { skip: exe === undefined }, async (t) => {
      const port = await farcallManagerPort(t);
      const run = await runPython(exe!, [NESTED, "127.0.0.1", port, "refusals", String(Number(port) === 65535 ? 1 : Number(port) + 1)], RUN_MS);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /^foreign token RemoteError ValueError: the ListProxy token names another server, at \('127\.0\.0\.1', \d+\); this server stores proxies of its own objects only$/m);
      assert.match(run.stdout, /^unknown id RemoteError KeyError: 'ffffffff'$/m);
      assert.match(run.stdout, /^still served 0 \[\]$/m);
    });
  }

  it("a farcall/1 client reads a stored dict proxy as a reference to that dict; JSON-RPC refuses it naming the SharedDict", async (t) => {
    const shared = new SharedDict();
    const server = await serve({ shared }, { listen: ["tcp://127.0.0.1:0", "pymanager://127.0.0.1:0", "http://127.0.0.1:0"], authkey: "password", logger: false });
    const written = await runPython(python!, [WRITER, "127.0.0.1", server.addresses[1]!.split(":").pop()!], RUN_MS);
    assert.equal(written.stdout, "stored\n", written.stderr);
    const client = await connect<{ shared: SharedDict<string, unknown> }>(server.addresses[0]!, { authkey: "password" });
    const inner = (await client.shared.get("inner")) as unknown as { get(k: string): Promise<unknown>; set(k: string, v: unknown): Promise<void> };
    assert.equal(await inner.get("x"), 1);
    await inner.set("y", 2);
    assert.deepEqual(await client.shared.get("plain"), [1, 2]);
    const http = await connect<{ shared: SharedDict<string, unknown> }>(server.addresses[2]!, { authkey: "password" });
    t.after(async () => {
      await Promise.all([close(client), close(http)]);
      await server.close();
    });
    await assert.rejects(http.shared.get("inner"), /a SharedDict cannot be sent as JSON: a shared object travels only by reference/);
    const check = await runPython(python!, ["-c", `
import sys; sys.path.insert(0, ${JSON.stringify(fileURLToPath(new URL("../fixtures/pymanager/", import.meta.url)))})
import multiprocessing; multiprocessing.current_process().authkey = b'password'
from multiprocessing.managers import DictProxy, SyncManager
SyncManager.register('shared', proxytype=DictProxy)
m = SyncManager(address=('127.0.0.1', ${server.addresses[1]!.split(":").pop()}), authkey=b'password'); m.connect()
print(sorted(m.shared()['inner'].items()))`], RUN_MS);
    assert.equal(check.stdout, "[('x', 1), ('y', 2)]\n", check.stderr);
  });
});
