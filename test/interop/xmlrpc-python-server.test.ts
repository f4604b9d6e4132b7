/**
 * farcall's client against Python's own XML-RPC servers: a threaded SimpleXMLRPCServer with
 * multicall and introspection (every type, faults, batch() as system.multicall,
 * listMethods), and the seed's xmlrpc_server.py as it is.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { batchSettled, connect, listMethods, RpcError, type Remote } from "../../src/index.js";
import { within } from "../helpers/bounded.js";
import { python3Missing } from "../helpers/python.js";

const SERVER = fileURLToPath(new URL("../fixtures/xmlrpc/python_server.py", import.meta.url));
const SEED_SERVER = fileURLToPath(new URL("../fixtures/seed-examples/xmlrpc_server.py", import.meta.url));
const START_TIMEOUT_MS = 20_000;

const missing = python3Missing("XML-RPC Python server interop tests");

/** Starts `python3 script args`; resolves with the child and the port its first line names. */
async function startPython(script: string, args: string[], line: RegExp): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn("python3", [script, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const port = new Promise<number>((resolve, reject) => {
    let out = "";
    child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      const m = line.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once("exit", (code) => reject(new Error(`python3 ${script} exited (${code}) before listening:\n${stderr}`)));
  });
  try {
    return { child, port: await within(port, START_TIMEOUT_MS, `python3 ${script} to listen`) };
  } catch (err) {
    child.kill("SIGKILL");
    throw err;
  }
}

interface PyApi {
  echo(value: unknown): unknown;
  types(value: unknown): string;
  fail(code: number, message: string): never;
  divide(x: number, y: number): number;
}

describe("farcall's client calls Python's threaded SimpleXMLRPCServer", { skip: missing }, () => {
  let child: ChildProcess;
  let remote: Remote<PyApi>;
  before(async () => {
    const started = await startPython(SERVER, ["127.0.0.1", "0"], /listening on (\d+)/);
    child = started.child;
    remote = await connect<PyApi>(`xmlrpc+http://127.0.0.1:${started.port}/RPC2`, { timeout: 10_000 });
  });
  after(async () => {
    await remote?.[Symbol.asyncDispose]();
    child?.kill("SIGKILL");
  });

  it("every type round-trips, reaching Python as the matching Python type", async () => {
    const date = new Date(Date.UTC(2024, 1, 29, 23, 59, 58));
    const values: [unknown, string][] = [
      [42, "int"], [-2147483648, "int"], [true, "bool"], ["", "str"], ["text <&> é中😀\r\n", "str"], [1.5, "float"],
      [new Uint8Array([0, 1, 254, 255]), "bytes"], [date, "datetime"], [null, "NoneType"],
      [[1, "two", [3.5, null]], "list"], [{ a: 1, nested: { b: [true] }, "": "empty key" }, "dict"],
    ];
    for (const [value, type] of values) {
      assert.deepEqual(await remote.echo(value), value, `echo(${String(value)})`);
      assert.equal(await remote.types(value), type, `the Python type of ${String(value)}`);
    }
    // Past 32 bits, numbers and BigInts go as i8, which Python reads (but refuses to send back).
    assert.equal(await remote.types(2 ** 40), "int");
    assert.equal(await remote.types(2n ** 62n), "int");
    await assert.rejects(remote.echo(2 ** 40), (err: unknown) => RpcError.is(err) && /OverflowError/.test(err.message));
  });

  it("a Fault(code, string) becomes an RpcError with that code and message", async () => {
    await assert.rejects(remote.fail(4, "too many parameters"), (err: unknown) => {
      assert.ok(RpcError.is(err));
      assert.equal(err.code, 4);
      assert.equal(err.message, "too many parameters");
      return true;
    });
    await assert.rejects(remote.divide(1, 0), (err: unknown) => RpcError.is(err) && err.code === 1 && /division by zero/.test(err.message));
  });

  it("a value XML-RPC cannot carry is INVALID_PARAMS before anything is sent", async () => {
    await assert.rejects(remote.echo(new Map([[1, 2]])), (err: unknown) => RpcError.is(err) && err.code === "INVALID_PARAMS" && /Map/.test(err.message));
    await assert.rejects(remote.echo(Symbol("s")), (err: unknown) => RpcError.is(err) && err.code === "INVALID_PARAMS");
    await assert.rejects(remote.echo(() => 1), (err: unknown) => RpcError.is(err) && err.code === "INVALID_PARAMS");
  });

  it("batch() goes as one system.multicall, each call settled in order", async () => {
    const [a, b, c] = await batchSettled(remote, (r) => [r.divide(7, 2), r.divide(1, 0), r.echo("after the fault")]);
    assert.deepEqual(a, { status: "fulfilled", value: 3.5 });
    assert.equal(b.status, "rejected");
    assert.equal((b as PromiseRejectedResult).reason.code, 1);
    assert.deepEqual(c, { status: "fulfilled", value: "after the fault" });
  });

  it("listMethods() reads system.listMethods; arities Python cannot tell are -1", async () => {
    const methods = await listMethods(remote);
    const names = methods.map((m) => m.name);
    for (const name of ["divide", "echo", "fail", "types", "system.listMethods", "system.methodHelp", "system.methodSignature", "system.multicall"]) {
      assert.ok(names.includes(name), `${name} in ${names.join(", ")}`);
    }
    assert.ok(methods.every((m) => m.arity === -1), "Python answers 'signatures not supported'");
  });
});

describe("farcall's client calls the seed's xmlrpc_server.py, unchanged", { skip: missing }, () => {
  let child: ChildProcess;
  let remote: Remote<{ add(x: number, y: number): number; subtract(x: number, y: number): number; multiply(x: number, y: number): number; divide(x: number, y: number): number }>;
  before(async () => {
    // The seed takes a fixed port; ask the OS for a free one and hand it over.
    const { freePort } = await import("../helpers/ports.js");
    const port = await freePort();
    child = (await startPython(SEED_SERVER, ["127.0.0.1", String(port)], /Listening on port (\d+)/)).child;
    remote = await connect(`xmlrpc+http://127.0.0.1:${port}/`, { timeout: 10_000 });
  });
  after(async () => {
    await remote?.[Symbol.asyncDispose]();
    child?.kill("SIGKILL");
  });

  it("add, subtract, multiply and divide answer 10, 4, 21 and 7/3, one by one and as a multicall", async () => {
    assert.deepEqual([await remote.add(7, 3), await remote.subtract(7, 3), await remote.multiply(7, 3), await remote.divide(7, 3)], [10, 4, 21, 7 / 3]);
    const all = await batchSettled(remote, (r) => [r.add(7, 3), r.subtract(7, 3), r.multiply(7, 3), r.divide(7, 3), r.divide(7, 0)]);
    assert.deepEqual(all.slice(0, 4), [10, 4, 21, 7 / 3].map((value) => ({ status: "fulfilled", value })));
    assert.equal(all[4]!.status, "rejected");
    assert.match(String((all[4] as PromiseRejectedResult).reason.message), /ZeroDivisionError/);
  });
});
