/**
 * XML-RPC's server and client sides as pure functions (protocols/xmlrpc*.ts): faults both
 * ways, system.multicall, introspection from describeMethod().
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import { describeMethod, RpcError } from "../../src/index.js";
import { Dispatcher } from "../../src/core/dispatcher.js";
import { decodeXmlRpc } from "../../src/xmlrpc/decode.js";
import { handleXmlRpc } from "../../src/xmlrpc/protocol.js";
import { fromFault, toFault } from "../../src/xmlrpc/faults.js";
import { readMulticall, readResponse } from "../../src/xmlrpc/client-protocol.js";

const OPTIONS = { maxBatch: 3, maxDepth: 16 };
const LIMITS = { maxDepth: 18, maxElements: 10_000 };

const order: string[] = [];
const api = {
  add: describeMethod((a: number, b: number) => a + b, { description: "Adds.", params: [{ name: "a", type: "int" }, { name: "b", type: "int" }], returns: "int" }),
  half: describeMethod((n: number) => n / 2, { params: [{ name: "n" }], returns: "double" }),
  scale: describeMethod((n: number, factor: number) => n * factor, { input: [z.number(), z.number().int()], output: z.number() }),
  label: describeMethod((n: number) => String(n), { input: [z.number()] }),
  slow: async (name: string) => {
    await new Promise((resolve) => setImmediate(resolve));
    order.push(name);
    return name;
  },
  map: () => new Map([[1, 2]]),
  fail: (code: string | number, data?: unknown) => {
    throw new RpcError(code, "failed on purpose", data);
  },
  system: { version: () => "1.0" },
};
const dispatcher = new Dispatcher(api);
const invoke = (method: string, args: unknown[]) => {
  const entry = dispatcher.resolve(method);
  return entry.fn.apply(entry.self, args);
};

/** What the server answers to `method(...params)`, read back by the client side. */
async function answer(method: string, params: unknown[]) {
  const document = await handleXmlRpc(dispatcher, method, params, invoke, OPTIONS);
  return readResponse(Buffer.from(document), LIMITS);
}

describe("XML-RPC results of a method described as returning a double", () => {
  it("an integral result still goes as <double>, alone and inside system.multicall", async () => {
    const alone = await handleXmlRpc(dispatcher, "half", [4], invoke, OPTIONS);
    assert.match(alone, /<value><double>2\.0<\/double><\/value>/);
    const multi = await handleXmlRpc(dispatcher, "system.multicall", [[{ methodName: "half", params: [4] }, { methodName: "add", params: [1, 1] }]], invoke, OPTIONS);
    assert.match(multi, /<array><data><value><double>2\.0<\/double><\/value><\/data><\/array>/);
    assert.match(multi, /<int>2<\/int>/, "a method described as int keeps <int>");
  });
});

describe("XML-RPC faults", () => {
  it("framework codes go as their JSON-RPC numbers and come back as the same codes", () => {
    assert.deepEqual(toFault(new RpcError("METHOD_NOT_FOUND", "no")), { faultCode: -32601, faultString: "no" });
    assert.equal(fromFault({ faultCode: -32005, faultString: "big" }).code, "RESOURCE_EXHAUSTED");
  });

  it("integer codes pass through; other codes ride on -32000 with farcallCode", () => {
    assert.deepEqual(toFault(new RpcError(4, "four")), { faultCode: 4, faultString: "four" });
    assert.deepEqual(toFault(new RpcError("NOT_FOUND", "gone", { id: 7 })), { faultCode: -32000, faultString: "gone", farcallCode: "NOT_FOUND", farcallData: { id: 7 } });
    assert.deepEqual(toFault(new RpcError(2 ** 40, "huge")), { faultCode: -32000, faultString: "huge", farcallCode: 2 ** 40 });
    const back = fromFault({ faultCode: -32000, faultString: "gone", farcallCode: "NOT_FOUND", farcallData: { id: 7 } });
    assert.deepEqual([back.code, back.message, back.data], ["NOT_FOUND", "gone", { id: 7 }]);
  });

  it("anything that is not an RpcError is INTERNAL with its message", () => {
    assert.deepEqual(toFault(new TypeError("x is not a function")), { faultCode: -32603, faultString: "x is not a function" });
  });

  it("faults from other servers keep their code: Python's 1, Flask's strings", () => {
    assert.equal(fromFault({ faultCode: 1, faultString: "<class 'Exception'>:boom" }).code, 1);
    assert.equal(fromFault({ faultCode: "Client", faultString: "bad" }).code, "Client");
    assert.equal(fromFault("not a struct").code, "INTERNAL");
  });
});

describe("XML-RPC server side", () => {
  it("a call is answered with its result, a failure with its fault", async () => {
    assert.deepEqual(await answer("add", [2, 3]), { ok: true, value: 5 });
    const failed = await answer("fail", ["OUT_OF_STOCK", { sku: "a1" }]);
    assert.ok(!failed.ok);
    assert.deepEqual([failed.error.code, failed.error.data], ["OUT_OF_STOCK", { sku: "a1" }]);
  });

  it("a result XML-RPC cannot carry is an INTERNAL fault naming it", async () => {
    const out = await answer("map", []);
    assert.ok(!out.ok);
    assert.equal(out.error.code, "INTERNAL");
    assert.match(out.error.message, /the result cannot be sent: XML-RPC cannot carry a Map/);
  });

  it("fault data XML-RPC cannot carry is left out; the fault still arrives", async () => {
    const out = await answer("fail", [9, new Map()]);
    assert.ok(!out.ok);
    assert.deepEqual([out.error.code, out.error.data], [9, undefined]);
  });

  it("system.multicall runs calls one after another, in order, each answered by [result] or a fault", async () => {
    order.length = 0;
    const calls = [
      { methodName: "slow", params: ["first"] },
      { methodName: "fail", params: [5] },
      { methodName: "slow", params: ["second"] },
    ];
    const out = await answer("system.multicall", [calls]);
    assert.ok(out.ok);
    const outcomes = readMulticall(out.value, 3);
    assert.deepEqual(outcomes[0], { ok: true, value: "first" });
    assert.equal(!outcomes[1]!.ok && outcomes[1]!.error.code, 5);
    assert.deepEqual(outcomes[2], { ok: true, value: "second" });
    assert.deepEqual(order, ["first", "second"]);
  });

  it("a malformed or nested multicall element fails alone", async () => {
    const out = await answer("system.multicall", [[
      { methodName: "add", params: [1, 1] },
      { params: [] },
      "not a struct",
    ]]);
    assert.ok(out.ok);
    const [a, b, c] = readMulticall(out.value, 3);
    assert.deepEqual(a, { ok: true, value: 2 });
    assert.equal(!b!.ok && b!.error.code, "INVALID_REQUEST");
    assert.equal(!c!.ok && c!.error.code, "INVALID_REQUEST");
    const nested = await answer("system.multicall", [[{ methodName: "system.multicall", params: [[]] }]]);
    assert.ok(nested.ok);
    const [n] = readMulticall(nested.value, 1);
    assert.ok(!n!.ok && /cannot be nested/.test(n!.error.message));
  });

  it("a multicall larger than maxBatch is one RESOURCE_EXHAUSTED fault before any call runs", async () => {
    order.length = 0;
    const out = await answer("system.multicall", [Array.from({ length: 4 }, () => ({ methodName: "slow", params: ["x"] }))]);
    assert.ok(!out.ok);
    assert.equal(out.error.code, "RESOURCE_EXHAUSTED");
    assert.match(out.error.message, /4 calls exceeds maxBatch 3/);
    assert.deepEqual(order, []);
  });

  it("introspection reads describeMethod(); other system.* names reach the user's own methods", async () => {
    const list = await answer("system.listMethods", []);
    assert.deepEqual(list, { ok: true, value: ["add", "fail", "half", "label", "map", "scale", "slow", "system.listMethods", "system.methodHelp", "system.methodSignature", "system.multicall", "system.version"] });
    assert.deepEqual(await answer("system.methodHelp", ["add"]), { ok: true, value: "Adds." });
    assert.deepEqual(await answer("system.methodHelp", ["slow"]), { ok: true, value: "" });
    assert.deepEqual(await answer("system.methodSignature", ["add"]), { ok: true, value: [["int", "int", "int"]] });
    assert.deepEqual(await answer("system.methodSignature", ["half"]), { ok: true, value: "undef" }, "a parameter without a type: unknown");
    assert.deepEqual(await answer("system.methodSignature", ["system.multicall"]), { ok: true, value: [["array", "array"]] });
    assert.deepEqual(await answer("system.methodSignature", ["scale"]), { ok: true, value: [["double", "double", "int"]] }, "from the input and output Standard Schemas");
    assert.deepEqual(await answer("system.methodSignature", ["label"]), { ok: true, value: "undef" }, "no output schema: the result type is unknown");
    const missing = await answer("system.methodHelp", ["nope"]);
    assert.equal(!missing.ok && missing.error.code, "METHOD_NOT_FOUND");
    assert.deepEqual(await answer("system.version", []), { ok: true, value: "1.0" });
  });

  it("a method name that is not exposed is METHOD_NOT_FOUND", async () => {
    for (const name of ["__proto__", "constructor", "add.call", "nope"]) {
      const out = await answer(name, []);
      assert.equal(!out.ok && out.error.code, "METHOD_NOT_FOUND", name);
    }
  });
});

describe("XML-RPC client side", () => {
  it("a body that is not a methodResponse is INTERNAL", () => {
    const out = readResponse(Buffer.from("<html/>"), LIMITS);
    assert.equal(!out.ok && out.error.code, "INTERNAL");
    const call = readResponse(Buffer.from("<methodCall><methodName>m</methodName></methodCall>"), LIMITS);
    assert.equal(!call.ok && call.error.code, "INTERNAL");
  });

  it("a multicall answer of the wrong length fails every call", () => {
    const outcomes = readMulticall([[1]], 2);
    assert.equal(outcomes.length, 2);
    assert.ok(outcomes.every((o) => !o.ok && o.error.code === "INTERNAL"));
  });

  it("decodes what it reads with the same limits as the server", () => {
    assert.throws(() => decodeXmlRpc(Buffer.from("<!DOCTYPE x><methodResponse/>"), LIMITS), (e: unknown) => RpcError.is(e) && e.code === "PARSE_ERROR");
  });
});
