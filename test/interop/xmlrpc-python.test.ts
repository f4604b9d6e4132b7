/**
 * Python's own XML-RPC clients against a farcall server, unchanged: xmlrpc.client's
 * ServerProxy (every type, faults, MultiCall, introspection), the seed's client program as
 * it is, and the seed's original Python 2 client (xmlrpclib.MultiCall) through pyenv.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { z } from "zod";
import { describeMethod, RpcError, serve, type Server } from "../../src/index.js";
import { findPyenv, findPython3, runPython } from "../fixtures/pymanager/python-run.js";

const CLIENT = fileURLToPath(new URL("../fixtures/xmlrpc/python_client.py", import.meta.url));
const SEED_CLIENT = fileURLToPath(new URL("../fixtures/seed-examples/xmlrpc_client.py", import.meta.url));
const SEED_CLIENT_PY2 = fileURLToPath(new URL("../fixtures/xmlrpc/seed_client_py2.py", import.meta.url));
/** Bound on every Python run: a hung interpreter fails the test instead of hanging it. */
const PYTHON_TIMEOUT_MS = 20_000;

const python3 = findPython3("XML-RPC Python client interop tests");
const python27 = python3 ? findPyenv("2.7", "the seed's Python 2 xmlrpclib client") : undefined;

/** The seed's arithmetic, with a divide that refuses zero as Python's would. */
const arithmetic = {
  add: (x: number, y: number) => x + y,
  subtract: (x: number, y: number) => x - y,
  multiply: (x: number, y: number) => x * y,
  divide: (x: number, y: number) => {
    if (y === 0) throw new RpcError(1, "division by zero");
    return x / y;
  },
};

const api = {
  ...arithmetic,
  add: describeMethod(arithmetic.add, {
    description: "Adds two integers.",
    params: [{ name: "x", type: "int" }, { name: "y", type: "int" }],
    returns: "int",
  }),
  echo: (value: unknown) => value,
  /** Checked by Standard Schemas (zod): a failing call is a Fault whose string names each issue. */
  scale: describeMethod((n: number, factor: number) => n * factor, { input: [z.number(), z.number().int()] }),
  /** Larger than 32 bits: sent as i8, which Python reads as int. */
  big: () => [2 ** 40, 2n ** 62n, -(2 ** 53) + 1],
  epoch: () => new Date(Date.UTC(2001, 8, 9, 1, 46, 40, 999)),
  /** The seed's Flask handler: an empty name is a fault with a code and a string. */
  woca: (name = "world") => {
    if (!name) throw new RpcError(7, "fuck...fuck: fuck shencan!");
    return `Hello, ${name}!`;
  },
  fail: (code: number, message: string) => {
    throw new RpcError(code, message);
  },
  failNamed: () => {
    throw new RpcError("NOT_FOUND", "no such thing");
  },
  crash: () => {
    throw new TypeError("undefined is not a function");
  },
};

async function python(exe: string, script: string, args: string[]): Promise<string> {
  const run = await runPython(exe, [script, ...args], PYTHON_TIMEOUT_MS);
  assert.equal(run.code, 0, `${exe} ${script} ${args.join(" ")} failed:\n${run.stdout}\n${run.stderr}`);
  return run.stdout;
}

async function pythonJson(mode: string, url: string): Promise<any> {
  return JSON.parse(await python(python3!, CLIENT, [mode, url]));
}

describe("Python's xmlrpc.client calls a farcall server", { skip: python3 === undefined && "python3 is missing" }, () => {
  let server: Server;
  let url: string;
  before(async () => {
    server = await serve(api, { listen: ["http://127.0.0.1:0/RPC2"], logger: false });
    url = server.addresses[0]!;
  });
  after(() => server.close());

  it("every XML-RPC type round-trips through ServerProxy(allow_none=True, use_builtin_types=True)", async () => {
    const out = await pythonJson("types", url);
    assert.ok(out.same.every(Boolean), `values that changed on the way: ${JSON.stringify(out.echoed)}`);
    assert.deepEqual(out.big, [2 ** 40, 2 ** 62, -(2 ** 53) + 1]);
    assert.deepEqual(out.bigTypes, ["int", "int", "int"]);
    // Sent as UTC, whole seconds: Python's dateTime has neither zone nor fractions.
    assert.deepEqual(out.date, { datetime: "2001-09-09T01:46:40" });
  });

  it("faults raise xmlrpc.client.Fault with the handler's code and string", async () => {
    const out = await pythonJson("faults", url);
    assert.deepEqual(out.woca, { faultCode: 7, faultString: "fuck...fuck: fuck shencan!" });
    assert.equal(out.wocaOk, "Hello, farcall!");
    assert.deepEqual(out.numbered, { faultCode: 42, faultString: "the answer" });
    assert.deepEqual(out.named, { faultCode: -32000, faultString: "no such thing" });
    assert.deepEqual(out.internal, { faultCode: -32603, faultString: "undefined is not a function" });
    assert.equal(out.missing.faultCode, -32601);
    assert.equal(out.proto.faultCode, -32601);
    assert.deepEqual(out.params, { faultCode: -32602, faultString: "echo takes 1 argument, 2 given" }, "too many arguments, as Python's own servers answer TypeError");
    assert.equal(out.schema.faultCode, -32602);
    assert.match(out.schema.faultString, /^invalid arguments for scale: \[0\]: Invalid input: expected number, received string; \[1\]: Invalid input: expected int, received number$/);
  });

  it("MultiCall runs the seed's arithmetic in order, a divide by zero as a fault in its place", async () => {
    const out = await pythonJson("multicall", url);
    assert.deepEqual(out, [10, 4, 21, { float: "2.3333333333333335" }, { faultCode: 1, faultString: "division by zero" }, 2]);
  });

  it("system.listMethods, methodHelp and methodSignature answer from describeMethod()", async () => {
    const out = await pythonJson("introspection", url);
    assert.deepEqual(out.list, [
      "add", "big", "crash", "divide", "echo", "epoch", "fail", "failNamed", "multiply", "scale", "subtract", "woca",
      "system.listMethods", "system.methodHelp", "system.methodSignature", "system.multicall",
    ].sort());
    assert.equal(out.help, "Adds two integers.");
    assert.equal(out.helpNone, "");
    assert.deepEqual(out.signature, [["int", "int", "int"]]);
    assert.equal(out.signatureNone, "undef");
    assert.match(out.multicallHelp, /in order/);
  });

  it("the seed's xmlrpc_client.py, unchanged, prints 7+3=10, 7-3=4, 7*3=21, 7/3=2", async () => {
    const port = new URL(url).port;
    const stdout = await python(python3!, SEED_CLIENT, ["127.0.0.1", port, "/RPC2"]);
    assert.equal(stdout, "7+3=10, 7-3=4, 7*3=21, 7/3=2\n");
  });
});

describe("Python's ServerProxy with the key in its URL calls an authkey-protected farcall server", { skip: python3 === undefined && "python3 is missing" }, () => {
  let server: Server;
  before(async () => (server = await serve(arithmetic, { listen: "http://127.0.0.1:0/RPC2", authkey: "s3cret", logger: false })));
  after(() => server.close());

  const CALL = [
    "import sys, xmlrpc.client",
    "try:",
    "    print(xmlrpc.client.ServerProxy(sys.argv[1]).add(2, 3))",
    "except xmlrpc.client.ProtocolError as e:",
    "    print('ProtocolError', e.errcode)",
  ].join("\n");

  it("http://user:key@host/ (Basic auth, the key as the password) is accepted unchanged", async () => {
    const url = new URL(server.addresses[0]!);
    url.username = "anyone";
    url.password = "s3cret";
    assert.equal(await python(python3!, "-c", [CALL, url.href]), "5\n");
  });

  it("a wrong password is refused with HTTP 401", async () => {
    const url = new URL(server.addresses[0]!);
    url.username = "anyone";
    url.password = "wrong";
    assert.equal(await python(python3!, "-c", [CALL, url.href]), "ProtocolError 401\n");
    const bare = new URL(server.addresses[0]!);
    assert.equal(await python(python3!, "-c", [CALL, bare.href]), "ProtocolError 401\n");
  });
});

describe("the seed's Python 2 client (xmlrpclib.MultiCall) calls a farcall server", { skip: python27 === undefined && "Python 2.7 is not installed through pyenv" }, () => {
  let server: Server;
  before(async () => (server = await serve(arithmetic, { listen: "tcp://127.0.0.1:0", logger: false })));
  after(() => server.close());

  it("prints 7+3=10, 7-3=4, 7*3=21, 7/3=2 through the one-port listener", async () => {
    const port = new URL(server.addresses[0]!).port;
    const stdout = await python(python27!, SEED_CLIENT_PY2, ["127.0.0.1", port]);
    assert.equal(stdout, "7+3=10, 7-3=4, 7*3=21, 7/3=2\n");
  });
});
