// Python's manager protocol through the public API: serve(api, { listen: "pymanager://..." }),
// connect("pymanager://..."), and the CLI, with the unchanged seed programs as outside peers.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { close, connect, serve } from "../../src/index.js";
import { findPython3, runPython } from "../fixtures/pymanager/python-run.js";
import { Account, kvApi } from "../fixtures/pymanager/seed-api.js";

const python = findPython3("pymanager serve/connect tests");
const seed = (name: string) => fileURLToPath(new URL(`../fixtures/seed-examples/${name}`, import.meta.url));
const PARENT_CHILD = fileURLToPath(new URL("../fixtures/pymanager/parent_child.py", import.meta.url));
const MAIN = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));

type KvApi = { get(k: string): unknown; put(k: string, v: unknown): void; get_uname(): string };

describe("pymanager through serve() and connect()", { skip: python === undefined }, () => {
  it("one server answers the unchanged seed kv client on pymanager:// and farcall/1 on tcp://, with one state", async (t) => {
    const server = await serve(kvApi(), { listen: ["tcp://127.0.0.1:0", "pymanager://127.0.0.1:0"], authkey: "password", logger: false });
    t.after(() => server.close());
    const [tcpUrl, pyUrl] = server.addresses;
    assert.match(pyUrl!, /^pymanager:\/\/127\.0\.0\.1:\d+$/);
    const port = new URL(pyUrl!.replace("pymanager:", "http:")).port;
    const run = await runPython(python!, [seed("manager_kv_client.py"), "127.0.0.1", port], 60_000);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trim().split("\n");
    assert.deepEqual(lines.slice(0, 3), ["get None", "put None", "get 10"]);
    // print(proxy) shows repr() of the referent, as against Python's own server: a str whose
    // text holds single quotes is shown in double quotes.
    assert.match(lines[3]!, /^get_uname "posix\.uname_result\(sysname='/);
    const remote = await connect<KvApi>(tcpUrl!, { authkey: "password" });
    t.after(() => close(remote));
    assert.equal(await remote.get("a"), 10, "what Python put, farcall/1 reads");
  });

  it("an object lives until its reference count reaches zero: children that use the parent's proxy and exit do not free it", async (t) => {
    const server = await serve({ open_account: (owner: string) => new Account(owner) }, { listen: "pymanager://127.0.0.1:0", authkey: "password", logger: false });
    t.after(() => server.close());
    const port = server.addresses[0]!.slice(server.addresses[0]!.lastIndexOf(":") + 1);
    const run = await runPython(python!, [PARENT_CHILD, "127.0.0.1", port], 60_000);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, "child deposit 5\nchild deposit 10\nparent balance 10\nobjects left 0\n");
  });

  it("connect('pymanager://...') calls farcall's own manager listener and returns values, not proxies", async (t) => {
    const server = await serve(kvApi(), { listen: "pymanager://127.0.0.1:0", authkey: "password", logger: false });
    t.after(() => server.close());
    const remote = await connect<KvApi>(server.addresses[0]!, { authkey: "password" });
    t.after(() => close(remote));
    assert.equal(await remote.get("a"), null);
    await remote.put("a", { n: 10, list: [1, "two"] });
    assert.deepEqual(await remote.get("a"), { n: 10, list: [1, "two"] });
    await assert.rejects(connect(server.addresses[0]!, { authkey: "wrong" }), (e: unknown) => (e as { code?: string }).code === "UNAUTHENTICATED");
  });

  it("connect('pymanager://...') calls the unchanged Python seed server", async (t) => {
    const probe = await serve({}, { listen: "tcp://127.0.0.1:0", logger: false });
    const port = new URL(probe.addresses[0]!.replace("tcp:", "http:")).port;
    await probe.close();
    const child = spawn(python!, [seed("manager_kv_server.py"), "127.0.0.1", port], { stdio: ["pipe", "pipe", "pipe"] });
    t.after(() => child.kill("SIGKILL"));
    const deadline = Date.now() + 20_000;
    let remote: Awaited<ReturnType<typeof connect<KvApi>>> | undefined;
    while (!remote) {
      try {
        remote = await connect<KvApi>(`pymanager://127.0.0.1:${port}`, { authkey: "password" });
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((resolve) => setTimeout(resolve, 100)); // the Python server is starting
      }
    }
    t.after(() => close(remote!));
    assert.equal(await remote.get("a"), null);
    await remote.put("a", 10);
    assert.equal(await remote.get("a"), 10);
    assert.match(await remote.get_uname(), /uname_result/);
  });

  it("the CLI serves and calls pymanager:// URLs", async (t) => {
    const server = spawn(process.execPath, [MAIN, "serve", "--listen", "pymanager://127.0.0.1:0", "--authkey", "password"], { stdio: ["ignore", "pipe", "pipe"] });
    t.after(() => server.kill("SIGKILL"));
    let out = "";
    server.stdout!.setEncoding("utf8");
    while (!/listening on (pymanager:\/\/\S+)/.test(out)) {
      const [chunk] = (await Promise.race([once(server.stdout!, "data"), once(server, "exit").then(() => [""])])) as [string];
      if (!chunk && server.exitCode !== null) assert.fail(`farcall serve exited: ${out}`);
      out += chunk;
    }
    const url = /listening on (pymanager:\/\/\S+)/.exec(out)![1]!;
    const call = spawn(process.execPath, [MAIN, "call", url, "counter.inc", '"views"', "--authkey", "password"], { stdio: ["ignore", "pipe", "pipe"] });
    let result = "";
    call.stdout!.setEncoding("utf8").on("data", (d: string) => (result += d));
    const [code] = (await once(call, "exit")) as [number];
    assert.equal(code, 0);
    assert.equal(result.trim(), "1");
  });

  it("farcall list pymanager:// names what farcall's listener serves, SyncManager's typeids included", async (t) => {
    const server = await serve(kvApi(), { listen: "pymanager://127.0.0.1:0", authkey: "password", logger: false });
    t.after(() => server.close());
    const run = await runCli(["list", server.addresses[0]!, "--authkey", "password"]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^get\(1\)$/m);
    assert.match(run.stdout, /^put\(2\)$/m);
    for (const typeid of ["Queue(maxsize)", "dict(mapping)", "Barrier(parties, action, timeout)", "Array(typecode, sequence)", "Condition(lock)"]) {
      assert.ok(run.stdout.split("\n").includes(`${typeid}  SyncManager type: each call makes a new shared object`), `${typeid} listed in:\n${run.stdout}`);
    }
    assert.doesNotMatch(run.stdout, /^Pool/m, "Pool is refused, so not listed");
  });

  it("farcall list against Python's own manager server says it cannot list, with exit status 2", async (t) => {
    const own = spawn(python!, [fileURLToPath(new URL("../fixtures/pymanager/sync_server.py", import.meta.url))], { stdio: ["ignore", "pipe", "inherit"] });
    t.after(() => own.kill());
    let ready = "";
    own.stdout!.setEncoding("utf8");
    while (!/ready \d+\n/.test(ready)) ready += ((await once(own.stdout!, "data")) as [string])[0];
    const port = /ready (\d+)/.exec(ready)![1]!;
    const run = await runCli(["list", `pymanager://127.0.0.1:${port}`, "--authkey", "password"]);
    assert.equal(run.code, 2);
    assert.equal(run.stdout, "");
    assert.match(run.stderr, /^farcall: this manager server cannot list what it serves: Python's manager protocol has no way to ask/);
  });
});

/** Runs the built CLI to its end. */
async function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const [code] = (await once(child, "exit")) as [number | null];
  return { code, stdout, stderr };
}
