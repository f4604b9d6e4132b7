/**
 * `npm start` (`farcall serve` with no module and no --listen) serves every origin program
 * unchanged: each seed client in test/fixtures/seed-examples/ runs against the built CLI with
 * host and port and prints what it prints against its own Python server. The CLI takes
 * `--demo-ports 0,0` so the test does not depend on 4343 and 4344 being free; everything else
 * is the default layout (a keyless tcp:// listener, a pymanager:// listener with the seeds'
 * key "password").
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { before, describe, it, type TestContext } from "node:test";
import { requireBuild, startServe, type Serving } from "../cli/cli-process.js";
import { close, connect } from "../../src/index.js";
import type { DemoApi } from "../../src/demo/service.js";
import { findPython3, runPython, type PythonRun } from "../fixtures/pymanager/python-run.js";
import { freePort } from "../helpers/ports.js";

const python = findPython3("seed programs against npm start");
const seed = (name: string) => fileURLToPath(new URL(`../fixtures/seed-examples/${name}`, import.meta.url));
const DOC_PUT = fileURLToPath(new URL("../fixtures/pymanager/docs/queue_client_put.py", import.meta.url));
const DOC_GET = fileURLToPath(new URL("../fixtures/pymanager/docs/queue_client_get.py", import.meta.url));
const JSON_RPC_CLIENT = fileURLToPath(new URL("../fixtures/jsonrpc-http/seed_client.py", import.meta.url));
/** Bounds each Python run; the counter seed's 5 x 1000 takes about 20 s. */
const RUN_MS = 180_000;

const portOf = (url: string): string => url.slice(url.lastIndexOf(":") + 1);

/** `farcall serve --demo-ports 0,0`: the demo's default layout on free ports. */
function startDemo(t: TestContext, env?: Record<string, string>): Promise<Serving> {
  return startServe(t, ["--demo-ports", "0,0"], env, 2);
}

async function run(args: string[]): Promise<string> {
  const done = await runPython(python!, args, RUN_MS);
  assert.equal(done.code, 0, done.stderr);
  return done.stdout;
}

/**
 * What `client` prints against the seed's own Python `server` on a free port. The server binds
 * a moment after it starts: the client is retried while its connection is refused.
 */
async function againstPythonServer(t: TestContext, server: string, client: string): Promise<string> {
  const port = String(await freePort());
  const child = spawn(python!, [seed(server), "127.0.0.1", port], { stdio: "ignore" });
  t.after(() => void child.kill("SIGKILL"));
  let done: PythonRun = await runPython(python!, [seed(client), "127.0.0.1", port], RUN_MS);
  for (let tries = 0; done.code !== 0 && /ConnectionRefused/.test(done.stderr) && tries < 100; tries++) {
    await new Promise((r) => setTimeout(r, 100));
    done = await runPython(python!, [seed(client), "127.0.0.1", port], RUN_MS);
  }
  assert.equal(done.code, 0, done.stderr);
  return done.stdout;
}

describe("npm start serves every seed program unchanged", { skip: python === undefined }, () => {
  before(requireBuild);

  it("listens on a keyless tcp:// listener and a pymanager:// listener, both on loopback, and prints the manager key", async (t) => {
    const demo = await startDemo(t);
    assert.match(demo.addresses[0]!, /^tcp:\/\/127\.0\.0\.1:\d+$/);
    assert.match(demo.addresses[1]!, /^pymanager:\/\/127\.0\.0\.1:\d+$/);
    assert.match(demo.stdout(), new RegExp(`connect to 127\\.0\\.0\\.1:${portOf(demo.addresses[1]!)} with the key "password"`));
  });

  it("xmlrpc_client.py's MultiCall prints what it prints against xmlrpc_server.py", async (t) => {
    const own = await againstPythonServer(t, "xmlrpc_server.py", "xmlrpc_client.py");
    const demo = await startDemo(t);
    assert.equal(await run([seed("xmlrpc_client.py"), "127.0.0.1", portOf(demo.addresses[0]!)]), own);
    assert.equal(own, "7+3=10, 7-3=4, 7*3=21, 7/3=2\n");
  });

  it("manager_kv_client.py prints what it prints against manager_kv_server.py", async (t) => {
    const own = await againstPythonServer(t, "manager_kv_server.py", "manager_kv_client.py");
    const demo = await startDemo(t);
    assert.equal(await run([seed("manager_kv_client.py"), "127.0.0.1", portOf(demo.addresses[1]!)]), own);
    assert.match(own, /^get None\nput None\nget 10\nget_uname "posix\.uname_result\(sysname='/);
  });

  it("manager_counter_client.py, unchanged (5 processes x 1000 x get and inc), prints 5000", async (t) => {
    const demo = await startDemo(t);
    assert.equal(await run([seed("manager_counter_client.py"), "127.0.0.1", portOf(demo.addresses[1]!)]), "5000\n");
  });

  it("the JSON-RPC seed's echo and search(last_name=\"Python\") are answered over HTTP and raw TCP", async (t) => {
    const demo = await startDemo(t);
    const port = portOf(demo.addresses[0]!);
    const rows = [
      { first_name: "Guido", id: 1, last_name: "Python", number: "555-0100" },
      { first_name: "Monty", id: 4, last_name: "Python", number: "555-0103" },
    ];
    const expected = [
      JSON.stringify({ id: 1, jsonrpc: "2.0", result: "hello world" }),
      JSON.stringify({ id: 2, jsonrpc: "2.0", result: rows }),
    ].map((line) => line.replaceAll(":", ": ").replaceAll(",", ", ")).join("\n") + "\n";
    assert.equal(await run([JSON_RPC_CLIENT, "http", `http://127.0.0.1:${port}/`]), expected);
    assert.equal(await run([JSON_RPC_CLIENT, "tcp", "127.0.0.1", port]), expected);
  });

  it("the remote-queue example of Python's documentation runs against get_queue, with a TypeScript client on the same queue", async (t) => {
    const demo = await startDemo(t);
    const port = portOf(demo.addresses[1]!);
    const key = { AUTHKEY: "password" };
    const put = await runPython(python!, [DOC_PUT, "127.0.0.1", port], RUN_MS, key);
    assert.equal(put.code, 0, put.stderr);
    const got = await runPython(python!, [DOC_GET, "127.0.0.1", port], RUN_MS, key);
    assert.equal(got.code, 0, got.stderr);
    assert.equal(got.stdout, "'hello'\n");
    const remote = await connect<DemoApi>(demo.addresses[0]!);
    t.after(() => close(remote));
    await remote.queue.put("from TypeScript");
    const fromTs = await runPython(python!, [DOC_GET, "127.0.0.1", port], RUN_MS, key);
    assert.equal(fromTs.stdout, "'from TypeScript'\n", fromTs.stderr);
    const toTs = await runPython(python!, [DOC_PUT, "127.0.0.1", port], RUN_MS, { ...key, ITEM: "from Python" });
    assert.equal(toTs.code, 0, toTs.stderr);
    assert.equal(await remote.queue.get(5000), "from Python");
    assert.equal(await remote.queue.size(), 0);
  });

  it("with FARCALL_AUTHKEY set, the manager listener takes that key and the banner does not print it", async (t) => {
    const demo = await startDemo(t, { FARCALL_AUTHKEY: "not-the-seeds-key" });
    assert.doesNotMatch(demo.stdout(), /not-the-seeds-key/);
    const refused = await runPython(python!, [seed("manager_kv_client.py"), "127.0.0.1", portOf(demo.addresses[1]!)], RUN_MS);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /AuthenticationError/);
  });
});
