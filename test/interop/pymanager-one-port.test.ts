/**
 * One port for Python too (opt-in): a tcp:// listener with `pymanager: { silenceMs }` answers
 * farcall/1 clients and, on the same port, Python's manager clients, which speak only after
 * the server's challenge.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { connect as netConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { close, connect, serve, SharedQueue } from "../../src/index.js";
import { within } from "../helpers/bounded.js";
import { findPython3, runPython } from "../fixtures/pymanager/python-run.js";
import { kvApi } from "../fixtures/pymanager/seed-api.js";

const python = findPython3("pymanager one-port tests");
const SEED_KV = fileURLToPath(new URL("../fixtures/seed-examples/manager_kv_client.py", import.meta.url));
const SYNC_TYPES = fileURLToPath(new URL("../fixtures/pymanager/sync_types.py", import.meta.url));
const UNIX_CLIENT = fileURLToPath(new URL("../fixtures/pymanager/unix_client.py", import.meta.url));
const RUN_MS = 60_000;

function portOf(url: string): string {
  return url.slice(url.lastIndexOf(":") + 1);
}

describe("a tcp:// listener with pymanager: { silenceMs }", { skip: python === undefined }, () => {
  it("answers the unchanged seed kv client and every SyncManager type, and farcall/1 on the same port, with one state", async (t) => {
    const jobs = new SharedQueue();
    const server = await serve({ ...kvApi(), jobs }, { listen: [{ url: "tcp://127.0.0.1:0", pymanager: { silenceMs: 50 } }], authkey: "password", logger: false });
    t.after(() => server.close());
    const port = portOf(server.addresses[0]!);
    const kv = await runPython(python!, [SEED_KV, "127.0.0.1", port], RUN_MS);
    assert.equal(kv.code, 0, kv.stderr);
    assert.deepEqual(kv.stdout.split("\n").slice(0, 3), ["get None", "put None", "get 10"]);
    const types = await runPython(python!, [SYNC_TYPES, "127.0.0.1", port], RUN_MS);
    assert.equal(types.code, 0, types.stderr);
    assert.match(types.stdout, /^queue get timeout Empty True$/m);
    assert.match(types.stdout, /^condition True$/m);
    const remote = await connect<{ get(k: string): unknown }>(server.addresses[0]!, { authkey: "password" });
    t.after(() => close(remote));
    assert.equal(await remote.get("a"), 10, "what Python put, farcall/1 reads on the same port");
  });

  it("works on a unix:// listener too: Python's SyncManager given the socket path, and farcall/1 on the same socket", async (t) => {
    const dir = await mkdtemp(join(tmpdir(), "farcall-one-port-"));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, "rpc.sock");
    const jobs = new SharedQueue();
    const server = await serve({ jobs }, { listen: [{ url: `unix://${path}`, pymanager: { silenceMs: 50 } }], authkey: "password", logger: false });
    t.after(() => server.close());
    const run = await runPython(python!, [UNIX_CLIENT, path], RUN_MS);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, "queue (1, 'one')\ndict [('a', 1), ('b', [2])]\n");
    const remote = await connect<{ jobs: SharedQueue }>(`unix://${path}`, { authkey: "password" });
    t.after(() => close(remote));
    await remote.jobs.put("from farcall/1");
    assert.equal(jobs.qsize(), 1, "farcall/1 reached the same server on the same socket");
  });

  it("gives a connection that stays silent the manager challenge after silenceMs, and none before", async (t) => {
    const server = await serve({}, { listen: [{ url: "tcp://127.0.0.1:0", pymanager: { silenceMs: 300 } }], authkey: "password", logger: false });
    t.after(() => server.close());
    // Timed from before the dial: the server's silence timer starts later, at its accept.
    const dialled = performance.now();
    const socket = netConnect(Number(portOf(server.addresses[0]!)), "127.0.0.1");
    t.after(() => socket.destroy());
    const [chunk] = (await within(once(socket, "data"), 5000, "the challenge")) as [Buffer];
    assert.ok(performance.now() - dialled >= 299, "not before silenceMs");
    assert.equal(chunk.subarray(4, 15).toString("latin1"), "#CHALLENGE#");
  });

  it("is refused on tls:// and with a silenceMs out of range, naming the option", async () => {
    await assert.rejects(serve({}, { listen: [{ url: "tcp://127.0.0.1:0", pymanager: { silenceMs: 0 } }], logger: false }), {
      name: "RangeError",
      message: /pymanager\.silenceMs must be an integer from 1 to 10000, got 0/,
    });
    await assert.rejects(serve({}, { listen: [{ url: "tls://127.0.0.1:0", pymanager: { silenceMs: 50 } }], logger: false }), /pymanager/);
  });
});
