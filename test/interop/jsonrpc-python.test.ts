/**
 * The seed's JSON-RPC example from Python 3's standard library, unchanged: echo("hello
 * world") and search(last_name="Python") (named params reaching a handler that takes one
 * options object), over HTTP (urllib.request) and over raw TCP (socket + json,
 * newline-delimited); and the same through `farcall serve --log FILE`, with the call log
 * written.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { serve, type Server } from "../../src/index.js";
import { python3Missing } from "../helpers/python.js";
import { within } from "../helpers/bounded.js";
import { requireBuild, startServe } from "../cli/cli-process.js";

const CLIENT = fileURLToPath(new URL("../fixtures/jsonrpc-http/seed_client.py", import.meta.url));
/** Bound on every Python run: a hung interpreter fails the test instead of hanging it. */
const PYTHON_TIMEOUT_MS = 15_000;

const missing = python3Missing("JSON-RPC Python HTTP/TCP interop tests");

/** Runs the Python client (asynchronously: the server runs in this process); answers its lines. */
async function python(args: string[]): Promise<string[]> {
  const child = spawn("python3", [CLIENT, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const code = await within(new Promise<number | null>((resolve) => child.once("exit", resolve)), PYTHON_TIMEOUT_MS, `python3 ${args[0]}`).finally(() => child.kill());
  assert.equal(code, 0, `python3 ${args.join(" ")} failed: ${stderr}`);
  return stdout.split("\n").filter((line) => line !== "");
}

const EXPECTED = [
  '{"id": 1, "jsonrpc": "2.0", "result": "hello world"}',
  '{"id": 2, "jsonrpc": "2.0", "result": [{"first_name": "Guido", "last_name": "Python"}]}',
];

const people = [
  { first_name: "Guido", last_name: "Python" },
  { first_name: "Ada", last_name: "Lovelace" },
];
const api = {
  echo: (text: string) => text,
  search: (options: { last_name: string }) => people.filter((p) => p.last_name === options.last_name),
};

describe("the seed's JSON-RPC example from Python's standard library", { skip: missing }, () => {
  let server: Server;
  before(async () => (server = await serve(api, { listen: ["tcp://127.0.0.1:0", "http://127.0.0.1:0/rpc"], logger: false })));
  after(() => server.close());

  it("urllib.request POSTs to the http:// listener", async () => {
    assert.deepEqual(await python(["http", server.addresses[1]!]), EXPECTED);
  });

  it("urllib.request POSTs to the one-port tcp:// listener", async () => {
    const port = new URL(server.addresses[0]!).port;
    assert.deepEqual(await python(["http", `http://127.0.0.1:${port}/rpc`]), EXPECTED);
  });

  it("a raw socket speaks newline-delimited JSON-RPC to the tcp:// listener", async () => {
    const port = new URL(server.addresses[0]!).port;
    assert.deepEqual(await python(["tcp", "127.0.0.1", port]), EXPECTED);
  });
});

describe("the seed's example through farcall serve --log FILE", { skip: missing }, () => {
  before(requireBuild);

  it("every call from Python is appended to the call log as one JSON line", async (t) => {
    const dir = mkdtempSync(join(tmpdir(), "farcall-log-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, "calls.log");
    const served = await startServe(t, ["test/fixtures/jsonrpc-http/seed_service.ts", "--listen", "tcp://127.0.0.1:0", "--listen", "http://127.0.0.1:0/rpc", "--log", file]);
    const [tcp, http] = served.addresses as [string, string];
    assert.deepEqual(await python(["http", http]), EXPECTED);
    assert.deepEqual(await python(["tcp", "127.0.0.1", new URL(tcp).port]), EXPECTED);
    served.child.kill("SIGTERM");
    assert.equal((await within(served.exited, PYTHON_TIMEOUT_MS, "farcall serve to exit")).code, 0);

    const lines = readFileSync(file, "utf8").split("\n").filter((line) => line !== "");
    const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const stable = entries.map(({ method, protocol, transport, address, outcome, notification }) => ({ method, protocol, transport, address, outcome, notification }));
    const call = { protocol: "jsonrpc", address: "127.0.0.1", outcome: "ok", notification: false };
    assert.deepEqual(stable.slice(0, 2), [{ ...call, method: "echo", transport: "http" }, { ...call, method: "search", transport: "http" }]);
    // Raw TCP answers in order of completion: either order is correct.
    assert.deepEqual(stable.slice(2).sort((a, b) => String(a.method).localeCompare(String(b.method))), [
      { ...call, method: "echo", transport: "tcp" },
      { ...call, method: "search", transport: "tcp" },
    ]);
    for (const e of entries) {
      assert.ok(!Number.isNaN(Date.parse(String(e.time))), `time ${String(e.time)}`);
      assert.equal(typeof e.durationMs, "number");
      assert.equal(typeof e.port, "number");
    }
  });
});
