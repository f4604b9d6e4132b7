/**
 * One farcall server, two listeners with policies of their own, and every seed client
 * unchanged: a tcp:// listener without a key answers the clients that send no credentials
 * (xmlrpc_client.py; the JSON-RPC seed over HTTP and raw TCP), and a pymanager:// listener
 * with the key "password" answers the manager clients (manager_kv_client.py,
 * manager_counter_client.py). The layout of `tcp://127.0.0.1:4343` beside
 * `pymanager://127.0.0.1:4344`, on free ports.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { close, connect, serve, type Server } from "../../src/index.js";
import { loadQuickAck } from "../../src/pymanager/quickack.js";
import { findPython3, runPython } from "../fixtures/pymanager/python-run.js";
import { seedsApi } from "../fixtures/pymanager/seed-api.js";
import jsonRpcSeed from "../fixtures/jsonrpc-http/seed_service.js";

const python = findPython3("per-listener seed interop tests");
const seed = (name: string) => fileURLToPath(new URL(`../fixtures/seed-examples/${name}`, import.meta.url));
const JSON_RPC_CLIENT = fileURLToPath(new URL("../fixtures/jsonrpc-http/seed_client.py", import.meta.url));
const COUNTER_LOOPS = fileURLToPath(new URL("../fixtures/pymanager/manager_counter_client_loops.py", import.meta.url));
/** Every Python run is bounded; the counter seed takes about 20 s with TCP_QUICKACK. */
const RUN_MS = 120_000;
/**
 * The counter seed's pattern (five processes, get + inc through the keyed listener) at 5 x 100
 * loops, through a copy that only reads its loop count: the unchanged seed at its full
 * 5 x 1000 runs in pymanager-server.test.ts; here the point is the listener's own key.
 * Without TCP_QUICKACK (the optional sockopt package) each loop waits on delayed ACKs, so
 * 5 x 10.
 */
const { missing: quickAckMissing } = await loadQuickAck();
const COUNTER_LOOP_COUNT = quickAckMissing === undefined ? 100 : 10;

const portOf = (url: string): string => url.slice(url.lastIndexOf(":") + 1);

async function pythonOut(args: string[]): Promise<string> {
  const run = await runPython(python!, args, RUN_MS);
  assert.equal(run.code, 0, run.stderr);
  return run.stdout;
}

describe("one server, a keyless tcp:// listener and a pymanager:// listener with a key, every seed client unchanged", { skip: python === undefined }, () => {
  let server: Server;
  let tcp: string;
  let pymanager: string;
  before(async () => {
    server = await serve({ ...seedsApi(), ...jsonRpcSeed }, {
      listen: ["tcp://127.0.0.1:0", { url: "pymanager://127.0.0.1:0", authkey: "password" }],
      logger: false,
    });
    [tcp, pymanager] = server.addresses as [string, string];
  });
  after(() => server.close());

  it("lists its addresses in listen order", () => {
    assert.match(tcp, /^tcp:\/\/127\.0\.0\.1:\d+$/);
    assert.match(pymanager, /^pymanager:\/\/127\.0\.0\.1:\d+$/);
  });

  it("xmlrpc_client.py, which sends no credentials, gets its MultiCall answered on the tcp:// listener", async () => {
    assert.equal(await pythonOut([seed("xmlrpc_client.py"), "127.0.0.1", portOf(tcp)]), "7+3=10, 7-3=4, 7*3=21, 7/3=2\n");
  });

  it("the JSON-RPC seed client, with no credentials, is answered over HTTP and raw TCP on the tcp:// listener", async () => {
    const expected = '{"id": 1, "jsonrpc": "2.0", "result": "hello world"}\n{"id": 2, "jsonrpc": "2.0", "result": [{"first_name": "Guido", "last_name": "Python"}]}\n';
    assert.equal(await pythonOut([JSON_RPC_CLIENT, "http", `http://127.0.0.1:${portOf(tcp)}/`]), expected);
    assert.equal(await pythonOut([JSON_RPC_CLIENT, "tcp", "127.0.0.1", portOf(tcp)]), expected);
  });

  it("manager_kv_client.py, with authkey password, is answered on the pymanager:// listener", async () => {
    const lines = (await pythonOut([seed("manager_kv_client.py"), "127.0.0.1", portOf(pymanager)])).trim().split("\n");
    assert.deepEqual(lines.slice(0, 3), ["get None", "put None", "get 10"]);
    assert.match(lines[3]!, /^get_uname "posix\.uname_result\(sysname='/);
    assert.equal(lines.length, 4);
  });

  it(`the counter seed's five processes (${COUNTER_LOOP_COUNT} loops each) count exactly 5 x the loop on the pymanager:// listener`, async () => {
    assert.equal(await pythonOut([COUNTER_LOOPS, "127.0.0.1", portOf(pymanager), String(COUNTER_LOOP_COUNT)]), `${5 * COUNTER_LOOP_COUNT}\n`);
  });

  it("each listener keeps its own key: none on tcp://, password on pymanager://, one state behind both", async (t) => {
    const open = await connect<{ get(k: string): unknown }>(tcp);
    t.after(() => close(open));
    assert.equal(await open.get("a"), 10, "what the kv seed put through pymanager://, farcall/1 reads on tcp://");
    await assert.rejects(connect(pymanager), (e: unknown) => (e as { code?: string }).code === "UNAUTHENTICATED");
    await assert.rejects(connect(tcp, { authkey: "password" }), (e: unknown) => (e as { code?: string }).code === "UNAUTHENTICATED");
  });
});
