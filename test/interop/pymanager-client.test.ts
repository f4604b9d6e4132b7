/**
 * farcall's manager client against real Python BaseManager servers (the seed servers
 * unchanged, and a shared object registered the usual way), and against farcall's own
 * pymanager:// listener.
 */
import { pipelineFor } from "../helpers/pipeline.js";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { RpcError } from "../../src/core/errors.js";
import { silentLogger } from "../../src/core/logger.js";
import { connectPyManager, type PyManagerClient } from "../../src/pymanager/client.js";
import { listenPyManager } from "../../src/pymanager/listener.js";
import { within } from "../helpers/bounded.js";
import { findPyenv, findPython3, runPython } from "../fixtures/pymanager/python-run.js";
import { KeyValue, kvApi } from "../fixtures/pymanager/seed-api.js";
import { freePort } from "../helpers/ports.js";

const SEEDS = fileURLToPath(new URL("../fixtures/seed-examples/", import.meta.url));
const SHARED_SERVER = fileURLToPath(new URL("../fixtures/pymanager/shared_server.py", import.meta.url));
const WORKER = fileURLToPath(new URL("../fixtures/pymanager/counter-worker.ts", import.meta.url));
/** The seed counter workload: 5 processes x 1000 x (get, inc); about 40 s against Python's server. */
const WORKERS = 5;
const LOOPS = 1000;
const WORKLOAD_MS = 240_000;

const python = findPython3("pymanager client interop tests");
const authkey = Buffer.from("password");
const children: ChildProcess[] = [];


/** A seed server (which prints nothing when ready): connects, retrying while it is refused. */
async function startSeedServer(exe: string, script: string, protocol: 2 | 4 = 4): Promise<{ client: PyManagerClient; port: number }> {
  const port = await freePort();
  children.push(spawn(exe, [join(SEEDS, script), "127.0.0.1", String(port)], { stdio: "ignore" }));
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      return { client: await connectPyManager({ scheme: "tcp", host: "127.0.0.1", port }, { authkey, protocol }), port };
    } catch (error) {
      if (!RpcError.is(error) || error.code !== "UNAVAILABLE" || Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** shared_server.py, once it says it is bound; resolves with its port. `protocol` 5 makes it reply at protocol 5. */
function startSharedServer(exe: string, protocol?: 5): Promise<number> {
  const env = protocol === undefined ? process.env : { ...process.env, PICKLE_PROTOCOL: String(protocol) };
  const child = spawn(exe, [SHARED_SERVER], { stdio: ["ignore", "pipe", "inherit"], env });
  children.push(child);
  return within(new Promise<number>((resolve, reject) => {
    let output = "";
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
      if (!output.includes("\n")) return;
      const m = /^ready (\d+)\n/.exec(output);
      if (m) resolve(Number(m[1]));
      else reject(new Error(`unexpected output ${output}`));
    });
    child.once("exit", (code) => reject(new Error(`shared_server.py exited with ${code}`)));
  }), 10_000, "shared_server.py ready");
}

after(() => {
  for (const child of children) child.kill("SIGKILL");
});

describe("pymanager client against Python servers", { skip: python === undefined }, () => {
  const py = python ?? "python3";

  it("runs the kv example against the unchanged manager_kv_server.py", async () => {
    const { client } = await startSeedServer(py, "manager_kv_server.py");
    try {
      assert.equal(await client.call("get", ["a"]), null);
      assert.equal(await client.call("put", ["a", 10]), null);
      assert.equal(await client.call("get", ["a"]), 10);
      const uname = await runPython(py, ["-c", "import os; print(str(os.uname()))"], 10_000);
      assert.equal(await client.call("get_uname"), uname.stdout.trimEnd());
    } finally {
      client.close();
    }
  });

  it("500 concurrent puts, then 500 concurrent gets, against the seed's manager_kv_server.py all succeed: one-shot connections are bounded (maxDials 8)", async () => {
    const { client } = await startSeedServer(py, "manager_kv_server.py");
    try {
      await Promise.all(Array.from({ length: 500 }, (_, i) => client.call("put", [`k${i}`, i])));
      const values = await Promise.all(Array.from({ length: 500 }, (_, i) => client.call("get", [`k${i}`])));
      assert.deepEqual(values, Array.from({ length: 500 }, (_, i) => i));
    } finally {
      client.close();
    }
  });

  it(`${WORKERS} farcall client processes x ${LOOPS} (get, inc) against manager_counter_server.py count ${WORKERS * LOOPS}`, { timeout: WORKLOAD_MS }, async () => {
    const { client, port } = await startSeedServer(py, "manager_counter_server.py");
    try {
      const runs = Array.from({ length: WORKERS }, () => runPython(process.execPath, ["--import", "tsx", WORKER, String(port), String(LOOPS)], WORKLOAD_MS));
      for (const run of await Promise.all(runs)) assert.equal(run.stdout, "done\n", run.stderr);
      assert.equal(await client.call("get", ["hikakin"]), WORKERS * LOOPS);
    } finally {
      client.close();
    }
  });

  for (const version of ["3.12", "3.13"]) {
    const exe = findPyenv(version, "the pymanager client handshake test");
    it(`runs the kv example against manager_kv_server.py under Python ${version} (the {sha256} handshake)`, { skip: exe === undefined }, async () => {
      const { client, port } = await startSeedServer(exe!, "manager_kv_server.py");
      try {
        assert.equal(await client.call("get", ["a"]), null);
        assert.equal(await client.call("put", ["a", 10]), null);
        assert.equal(await client.call("get", ["a"]), 10);
        assert.match(String(await client.call("get_uname")), /^posix\.uname_result\(sysname=/);
        await assert.rejects(
          connectPyManager({ scheme: "tcp", host: "127.0.0.1", port }, { authkey: Buffer.from("wrong") }),
          (e: unknown) => RpcError.is(e) && e.code === "UNAUTHENTICATED",
        );
      } finally {
        client.close();
      }
    });
  }

  for (const [version, exe] of [["3 (python3)", py], ["3.12", findPyenv("3.12", "the pymanager client protocol 5 test")], ["3.13", findPyenv("3.13", "the pymanager client protocol 5 test")]] as const) {
    it(`reads pickle protocol 5 replies from a Python ${version} server`, { skip: exe === undefined }, async () => {
      const port = await startSharedServer(exe!, 5);
      const client = await connectPyManager({ scheme: "tcp", host: "127.0.0.1", port }, { authkey });
      try {
        assert.equal(await client.call("scale", [21], { factor: 2 }), 42);
        const kv = await client.object("kv");
        await kv.call("set", ["l", [1, "two", null, 2.5, { d: true }]]);
        assert.deepEqual(await kv.call("get", ["l"]), [1, "two", null, 2.5, { d: true }]);
        assert.deepEqual(await kv.call("snapshot"), { l: [1, "two", null, 2.5, { d: true }] });
        await assert.rejects(kv.call("get", ["missing"]), (e: unknown) => RpcError.is(e) && e.code === "KeyError");
        await kv.release();
        assert.equal(await client.serverCall("number_of_objects"), 0);
      } finally {
        client.close();
      }
    });
  }

  const py27 = findPyenv("2.7", "the pymanager client protocol 2 test");
  it("talks to a Python 2.7 server (HMAC-MD5) with protocol 2 requests; a wrong key is UNAUTHENTICATED", { skip: py27 === undefined }, async () => {
    // The seed servers are Python 3 programs; shared_server.py also runs under 2.7.
    const port = await startSharedServer(py27!);
    const client = await connectPyManager({ scheme: "tcp", host: "127.0.0.1", port }, { authkey, protocol: 2 });
    try {
      assert.equal(await client.call("scale", [21]), 42);
      const kv = await client.object("kv");
      await kv.call("set", ["a", "text"]);
      assert.equal(await kv.call("get", ["a"]), "text");
      await assert.rejects(kv.call("get", ["missing"]), (e: unknown) => RpcError.is(e) && e.code === "KeyError");
      assert.deepEqual(await kv.call("snapshot"), { a: "text" });
      await kv.release();
      assert.equal(await client.serverCall("number_of_objects"), 0);
      await assert.rejects(
        connectPyManager({ scheme: "tcp", host: "127.0.0.1", port }, { authkey: Buffer.from("wrong"), protocol: 2 }),
        (e: unknown) => RpcError.is(e) && e.code === "UNAUTHENTICATED",
      );
    } finally {
      client.close();
    }
  });

  describe("a shared object registered with callable=lambda: kv", () => {
    let port: number;
    let client: PyManagerClient;
    before(async () => {
      port = await startSharedServer(py);
      client = await connectPyManager({ scheme: "tcp", host: "127.0.0.1", port }, { authkey });
    });
    after(() => client?.close());

    it("is held as an object whose methods return plain values, and released to zero", async () => {
      const kv = await client.object("kv");
      assert.ok(kv.exposed.includes("get") && kv.exposed.includes("set"));
      await kv.call("set", ["n", 10]);
      await kv.call("set", ["l", [1, "two", null]]);
      assert.equal(await kv.call("get", ["n"]), 10);
      assert.deepEqual(await kv.call("get", ["l"]), [1, "two", null]);
      assert.deepEqual(await kv.call("keys"), ["l", "n"]);
      await kv.release();
      assert.equal(await client.serverCall("number_of_objects"), 0);
    });

    it("a method answering a proxy (method_to_typeid) gives its value, and the server's object is released", async () => {
      const kv = await client.object("kv");
      try {
        await kv.call("set", ["snap", 10]);
        assert.equal(((await kv.call("snapshot")) as Record<string, unknown>).snap, 10);
        // A Python class instance has no safe JavaScript form: refused, and still released.
        await assert.rejects(kv.call("box"), (e: unknown) => RpcError.is(e) && /__main__\.Box is not allowed/.test(e.message));
        assert.equal(await client.serverCall("number_of_objects"), 1);
      } finally {
        await kv.release();
      }
      assert.equal(await client.serverCall("number_of_objects"), 0);
    });

    it("a Python KeyError arrives as an RpcError naming KeyError", async () => {
      const kv = await client.object("kv");
      try {
        await assert.rejects(kv.call("get", ["missing"]), (e: unknown) => RpcError.is(e) && e.code === "KeyError" && e.message === "missing");
      } finally {
        await kv.release();
      }
    });

    it("named arguments travel as kwds, and a failing create is coded by its exception type, the traceback in data, not the message", async () => {
      assert.equal(await client.call("scale", [21], { factor: 2 }), 42);
      await assert.rejects(client.call("divide", [1, 0]), (e: unknown) => {
        assert.ok(RpcError.is(e));
        assert.equal(e.code, "ZeroDivisionError");
        assert.equal(e.message, "division by zero");
        assert.match((e.data as { traceback: string }).traceback, /^Traceback \(most recent call last\):[\s\S]*ZeroDivisionError: division by zero\n$/);
        return true;
      });
    });

    it("an unknown typeid is METHOD_NOT_FOUND naming it, Python's KeyError traceback in data", async () => {
      await assert.rejects(client.call("no_such_typeid"), (e: unknown) => {
        assert.ok(RpcError.is(e));
        assert.equal(e.code, "METHOD_NOT_FOUND");
        assert.equal(e.message, 'no typeid "no_such_typeid" on the manager server');
        assert.match((e.data as { traceback: string }).traceback, /KeyError: 'no_such_typeid'/);
        return true;
      });
    });

    it("several calls in flight use several connections", async () => {
      const kv = await client.object("kv");
      try {
        await Promise.all(Array.from({ length: 20 }, (_, i) => kv.call("set", [`k${i}`, i])));
        const values = await Promise.all(Array.from({ length: 20 }, (_, i) => kv.call("get", [`k${i}`])));
        assert.deepEqual(values, Array.from({ length: 20 }, (_, i) => i));
      } finally {
        await kv.release();
      }
    });

    it("a wrong authkey is UNAUTHENTICATED", async () => {
      await assert.rejects(
        connectPyManager({ scheme: "tcp", host: "127.0.0.1", port }, { authkey: Buffer.from("wrong") }),
        (e: unknown) => RpcError.is(e) && e.code === "UNAUTHENTICATED",
      );
    });
  });
});

describe("pymanager client against farcall's own pymanager:// listener", () => {
  it("calls functions and a shared object, and leaves no referents", async () => {
    const listener = await listenPyManager({ scheme: "tcp", host: "127.0.0.1", port: 0 }, pipelineFor({ ...kvApi(), kv: new KeyValue() }), { authkey, logger: silentLogger });
    const port = Number(listener.url.slice(listener.url.lastIndexOf(":") + 1));
    const client = await connectPyManager({ scheme: "tcp", host: "127.0.0.1", port }, { authkey });
    try {
      await client.call("put", ["x", 1.5]);
      assert.equal(await client.call("get", ["x"]), 1.5);
      const kv = await client.object("kv");
      await kv.call("set", ["a", { deep: [1, 2] }]);
      assert.deepEqual(await kv.call("get", ["a"]), { deep: [1, 2] });
      await assert.rejects(kv.call("get", ["nope"]), (e: unknown) => RpcError.is(e) && e.code === "KeyError");
      await kv.release();
      assert.equal(listener.referents, 0);
    } finally {
      client.close();
      await listener.close();
    }
  });
});
