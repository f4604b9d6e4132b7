/**
 * Python's values whose type JavaScript alone cannot tell (tuple, frozenset, bytearray,
 * OrderedDict, Counter, deque with its maxlen, date, datetime with microseconds and offset),
 * stored by a real Python client in a shared dict, read by a TypeScript client over farcall/1
 * (MessagePack) and over HTTP with extended JSON, written back under another key, and read
 * by Python again: the exact type and value come back, compared by Python itself.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { close, connect, serve, SharedDict } from "../../src/index.js";
import { findPyenv } from "../helpers/python.js";
import { findPython3, runPython } from "../fixtures/pymanager/python-run.js";

const TABLE = fileURLToPath(new URL("../fixtures/marks/marks_table.py", import.meta.url));
const RUN_MS = 60_000;

const python3 = findPython3("Python type marks over farcall/1");
const VERSIONS: ReadonlyArray<readonly [string, string | undefined]> = [
  ["3.11 (python3)", python3],
  ["2.7", findPyenv("2.7", "Python type marks over farcall/1")],
  ["3.13", findPyenv("3.13", "Python type marks over farcall/1")],
];

type Api = { shared: SharedDict<string, unknown> };

describe("Python's types through a TypeScript client and back", { skip: python3 === undefined }, () => {
  for (const [version, exe] of VERSIONS) {
    it(`a value Python stored, read and written back by a TypeScript client over farcall/1 and extended JSON, reaches Python with its exact type (Python ${version})`, { skip: exe === undefined }, async (t) => {
      const shared = new SharedDict<string, unknown>();
      const server = await serve({ shared }, { listen: ["tcp://127.0.0.1:0", "pymanager://127.0.0.1:0", "http://127.0.0.1:0"], authkey: "password", logger: false });
      const port = server.addresses[1]!.split(":").pop()!;
      const msgpack = await connect<Api>(server.addresses[0]!, { authkey: "password" });
      const json = await connect<Api>(server.addresses[2]!, { authkey: "password" });
      t.after(async () => {
        await close(msgpack);
        await close(json);
        await server.close();
      });
      const stored = await runPython(exe!, [TABLE, "127.0.0.1", port, "store"], RUN_MS);
      assert.equal(stored.code, 0, stored.stderr);
      const count = Number(/^stored (\d+)$/m.exec(stored.stdout)?.[1]);
      assert.ok(count >= 27, stored.stdout);
      const names = (await msgpack.shared.keys()).filter((k) => k.startsWith("py:")).map((k) => k.slice(3));
      assert.equal(names.length, count);
      for (const name of names) {
        await msgpack.shared.set(`msgpack:${name}`, await msgpack.shared.get(`py:${name}`));
        await json.shared.set(`json:${name}`, await json.shared.get(`py:${name}`));
      }
      for (const prefix of ["msgpack", "json"]) {
        const checked = await runPython(exe!, [TABLE, "127.0.0.1", port, "check", prefix], RUN_MS);
        assert.equal(checked.code, 0, checked.stderr);
        assert.deepEqual(checked.stdout.split("\n").filter((line) => line !== "" && !line.startsWith("ok ")), [], `over ${prefix}`);
        assert.equal(checked.stdout.split("\n").filter((line) => line.startsWith("ok ")).length, count);
      }
    });
  }

  it("a plain JSON-RPC client (Python's urllib and json) sees the natural JSON value, and writing it back stores that: a list, a dict, isoformat() text", async (t) => {
    const shared = new SharedDict<string, unknown>();
    const server = await serve({ shared }, { listen: ["pymanager://127.0.0.1:0", "http://127.0.0.1:0/rpc"], authkey: "password", logger: false });
    t.after(() => server.close());
    const port = server.addresses[0]!.split(":").pop()!;
    const stored = await runPython(python3!, [TABLE, "127.0.0.1", port, "store"], RUN_MS);
    assert.equal(stored.code, 0, stored.stderr);
    const copied = await runPython(python3!, [TABLE, "127.0.0.1", port, "jsonrpc", server.addresses[1]!], RUN_MS);
    assert.equal(copied.code, 0, copied.stderr);
    const checked = await runPython(python3!, [TABLE, "127.0.0.1", port, "check", "jsonrpc"], RUN_MS);
    const lines = checked.stdout.split("\n");
    for (const expected of [
      "FAIL tuple: sent (1, 'a', 2.5), got list [1, 'a', 2.5]",
      "FAIL ordered_dict: sent OrderedDict([('b', 1), ('a', (2, 3)), (4, 'four')]), got list [['b', 1], ['a', [2, 3]], [4, 'four']]",
      "FAIL counter: sent Counter({'x': 3, 'y': 1}), got dict {'x': 3, 'y': 1}",
      "FAIL bytearray: sent bytearray(b'ab\\x00\\xff'), got str 'YWIA/w=='",
      "FAIL date: sent datetime.date(2024, 2, 29), got str '2024-02-29'",
      "FAIL datetime_naive: sent datetime.datetime(2024, 2, 29, 23, 59, 58, 123456), got str '2024-02-29T23:59:58.123456'",
      "FAIL datetime_named_offset: sent datetime.datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=datetime.timezone(datetime.timedelta(seconds=19800), 'IST')), got str '1999-12-31T23:59:59.999999+05:30'",
    ]) {
      assert.ok(lines.includes(expected), `${expected}\nnot in:\n${checked.stdout}`);
    }
  });
});
