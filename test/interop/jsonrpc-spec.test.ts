/**
 * JSON-RPC 2.0 against an outside peer: Python's standard library json module. Python writes
 * the request documents (its own float, integer and Unicode spellings), our plain-mode codec
 * and handleJsonRpc answer them, and Python's strict json.loads must accept every answer.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { before, describe, it } from "node:test";
import { createJsonCodec } from "../../src/codecs/json-ext.js";
import { Dispatcher } from "../../src/core/dispatcher.js";
import { RpcError } from "../../src/core/errors.js";
import { encodeResponse, handleJsonRpc, parseErrorResponse, type JsonRpcInvoke } from "../../src/jsonrpc/protocol.js";
import { python3Missing } from "../helpers/python.js";
import { buildOpenRpcDocument } from "../../src/jsonrpc/openrpc.js";

const PEER = fileURLToPath(new URL("../fixtures/jsonrpc/python_json_peer.py", import.meta.url));
/** Bound on every Python run: a hung interpreter fails the test instead of hanging it. */
const PYTHON_TIMEOUT_MS = 10_000;

const missing = python3Missing("JSON-RPC Python interop tests");

/** Runs the Python peer in `mode`; answers its stdout lines. */
function python(mode: string, input = ""): string[] {
  const run = spawnSync("python3", [PEER, mode], { input, encoding: "utf8", timeout: PYTHON_TIMEOUT_MS });
  if (run.error) throw run.error;
  assert.equal(run.status, 0, `python3 ${mode} failed: ${run.stderr}`);
  return run.stdout.split("\n").filter((line) => line !== "");
}

/** Splits `NAME <TAB> rest` lines into a map. */
function byName(lines: string[]): Map<string, string> {
  return new Map(lines.map((line) => {
    const tab = line.indexOf("\t");
    return [line.slice(0, tab), line.slice(tab + 1)];
  }));
}

const api = {
  echo: (...args: unknown[]) => args,
  search: (options: { last_name: string }) => ({ found: options.last_name }),
  types: () => ({
    date: new Date(0), big: 2n ** 64n, small: 5n, map: new Map([["a", 1]]), pairs: new Map([[1, "x"]]),
    set: new Set([1, 2]), bytes: new Uint8Array([1, 2, 3]), undef: undefined,
    list: [undefined], err: new RpcError("E", "m"),
  }),
  fail: () => {
    throw new RpcError("INSUFFICIENT_FUNDS", "balance too low", { balance: 5 });
  },
};
const dispatcher = new Dispatcher(api);
const invoke: JsonRpcInvoke = (method, args) => {
  const entry = dispatcher.resolve(method);
  return entry.fn.apply(entry.self, args);
};
const discover = () => buildOpenRpcDocument(dispatcher.list(), { title: "interop", version: "1" });
const codec = createJsonCodec({ extended: false });

/** What a transport answers to one request document's bytes: the response text, or undefined. */
async function answer(text: string): Promise<string | undefined> {
  let doc: unknown;
  try {
    doc = codec.decode(new TextEncoder().encode(text));
  } catch (err) {
    assert.ok(RpcError.is(err) && err.code === "PARSE_ERROR", `only PARSE_ERROR is expected here, got ${String(err)}`);
    return new TextDecoder().decode(codec.encode(parseErrorResponse(err.message)));
  }
  const response = await handleJsonRpc(doc, invoke, { discover });
  return response === undefined ? undefined : new TextDecoder().decode(encodeResponse(response, codec));
}

describe("JSON-RPC with Python's json module as the outside peer", { skip: missing }, () => {
  /** Our response text per request name. */
  const responses = new Map<string, string | undefined>();
  /** Python's verdict per response: `OK <TAB> canonical JSON` or `ERROR <TAB> reason`. */
  let verdicts = new Map<string, string>();

  before(async () => {
    for (const [name, text] of byName(python("requests"))) responses.set(name, await answer(text));
    const lines = [...responses].filter(([, r]) => r !== undefined).map(([name, r]) => `${name}\t${r}\n`);
    lines.push(`parse-error\t${new TextDecoder().decode(codec.encode(parseErrorResponse("Parse error")))}\n`);
    verdicts = byName(python("loads", lines.join("")));
  });

  /** What Python's json.loads made of our response to `name`, re-read here. */
  function seenByPython(name: string): unknown {
    const verdict = verdicts.get(name) ?? "ERROR\tno verdict";
    assert.ok(verdict.startsWith("OK\t"), `Python refused our response to ${name}: ${verdict}`);
    return JSON.parse(verdict.slice(3));
  }

  it("Python's strict json.loads accepts every response we produce", () => {
    assert.ok(verdicts.size >= 12);
    for (const [name, verdict] of verdicts) assert.ok(verdict.startsWith("OK\t"), `${name}: ${verdict}`);
  });

  it("Unicode arrives intact, escaped (\\uXXXX, lone surrogates included) or raw UTF-8", () => {
    const unicode = ["h\u00e9llo w\u00f6rld \u2713 \u{1F40D}", "\u0000 control \n\t \"quoted\" \\ /"];
    assert.deepStrictEqual(seenByPython("unicode-ascii"), { jsonrpc: "2.0", result: [...unicode, "\ud800 lone surrogate"], id: 1 });
    assert.deepStrictEqual(seenByPython("unicode-utf8"), { jsonrpc: "2.0", result: unicode, id: "\u00fcnic\u00f6de id" });
  });

  it("named params reach a handler that takes one options object (the seed's search(last_name=...))", () => {
    assert.deepStrictEqual(seenByPython("named"), { jsonrpc: "2.0", result: { found: "Python" }, id: "s-1" });
    assert.deepStrictEqual(seenByPython("compact"), { jsonrpc: "2.0", result: [{ a: [1, { b: null }] }], id: 11 });
  });

  it("integers beyond 2^53 come back as the nearest double, written as integers Python reads as int", () => {
    assert.match(verdicts.get("big-ints")!, /"result": \[9007199254740991, 18446744073709552000, -9223372036854776000\]/);
  });

  it("floats round-trip, -0.0 comes back as 0, and a fractional id is echoed as is", () => {
    assert.match(verdicts.get("floats")!, /^OK\t\{"id": 3\.5, "jsonrpc": "2\.0", "result": \[0\.1, 1e\+308, 0, 5e-324, 1\.5\]\}$/);
  });

  it("Python's default Infinity and NaN tokens are answered by -32700 with id null (our documented choice)", () => {
    for (const name of ["infinity", "nan"]) {
      const seen = seenByPython(name) as { error: { code: number }; id: unknown };
      assert.equal(seen.error.code, -32700, name);
      assert.equal(seen.id, null, name);
    }
    assert.equal((seenByPython("parse-error") as { error: { code: number } }).error.code, -32700);
  });

  it("Python itself refuses to write them when asked for standard JSON (allow_nan=False)", () => {
    assert.match(python("allow-nan-false")[0], /^ValueError: /);
  });

  it("id null, absent params, notifications and batches behave as the specification says", () => {
    assert.deepStrictEqual(seenByPython("null-id"), { jsonrpc: "2.0", result: [null, true, false], id: null });
    assert.deepStrictEqual(seenByPython("no-params"), { jsonrpc: "2.0", result: [], id: 6 });
    assert.ok(responses.has("notification"));
    assert.equal(responses.get("notification"), undefined, "a notification is never answered");
    const batch = seenByPython("batch") as { id: number; result?: unknown; error?: { code: number } }[];
    assert.deepStrictEqual(batch.map((r) => [r.id, r.result ?? r.error?.code]), [[7, [1]], [8, -32601]]);
  });

  it("values JSON cannot carry reach Python in the plain forms the codec documents", () => {
    assert.deepStrictEqual((seenByPython("types") as { result: unknown }).result, {
      date: "1970-01-01T00:00:00.000Z", big: "18446744073709551616", small: 5, map: { a: 1 }, pairs: [[1, "x"]],
      set: [1, 2], bytes: "AQID", list: [null], err: { name: "RpcError", message: "m", code: "E" },
    });
  });

  it("a string application code reaches Python as -32000 with the code in data", () => {
    assert.deepStrictEqual(seenByPython("failure"), {
      jsonrpc: "2.0",
      error: { code: -32000, message: "balance too low", data: { code: "INSUFFICIENT_FUNDS", data: { balance: 5 } } },
      id: 10,
    });
  });

  it("rpc.discover answers an OpenRPC document Python can read", () => {
    const doc = (seenByPython("discover") as { result: { openrpc: string; methods: { name: string; params: unknown[] }[] } }).result;
    assert.equal(doc.openrpc, "1.2.6");
    assert.deepStrictEqual(doc.methods.map((m) => [m.name, m.params.length]), [["echo", 0], ["fail", 0], ["search", 1], ["types", 0]]);
  });
});
