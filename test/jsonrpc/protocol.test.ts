import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import { describeMethod } from "../../src/core/method-doc.js";
import { createJsonCodec } from "../../src/codecs/json-ext.js";
import { Dispatcher } from "../../src/core/dispatcher.js";
import { RpcError } from "../../src/core/errors.js";
import {
  encodeResponse, handleJsonRpc, parseErrorResponse,
  type JsonRpcInvoke, type JsonRpcOptions,
} from "../../src/jsonrpc/protocol.js";
import { buildBatch, buildNotification, buildRequest, parseResponse } from "../../src/jsonrpc/client-protocol.js";
import { buildOpenRpcDocument } from "../../src/jsonrpc/openrpc.js";

const plain = createJsonCodec({ extended: false });
const ext = createJsonCodec({ extended: true });

/** The methods the specification's examples call. */
const calls: string[] = [];
const api = {
  subtract(a: number | { minuend: number; subtrahend: number }, b?: number): number {
    return typeof a === "object" ? a.minuend - a.subtrahend : a - (b as number);
  },
  sum: (...n: number[]) => n.reduce((x, y) => x + y, 0),
  update: (...n: number[]) => void calls.push(`update ${n.join(",")}`),
  notify_hello: (n: number) => void calls.push(`hello ${n}`),
  notify_sum: (...n: number[]) => void calls.push(`sum ${n.join(",")}`),
  get_data: () => ["hello", 5],
  echo: (...args: unknown[]) => args,
  argc: (...args: unknown[]) => args.length,
  nothing: () => undefined,
  fail: (code: string | number, message: string, data?: unknown) => {
    throw new RpcError(code, message, data);
  },
  crash: () => {
    throw new Error("disk on fire");
  },
  later: async (ms: number, value: unknown) => {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return value;
  },
  rpc: { other: () => "must never run" },
};
const dispatcher = new Dispatcher(api);
const invoke: JsonRpcInvoke = (method, args) => {
  const entry = dispatcher.resolve(method);
  return entry.fn.apply(entry.self, args);
};

/**
 * What a transport does with request text: decode (answering -32700 when it cannot), handle,
 * encode. Answers the response as the text on the wire, or undefined when nothing is sent.
 */
async function exchange(request: string, options: Partial<JsonRpcOptions> = {}, codec = plain): Promise<string | undefined> {
  let doc: unknown;
  try {
    doc = codec.decode(new TextEncoder().encode(request));
  } catch (err) {
    return new TextDecoder().decode(codec.encode(parseErrorResponse((err as Error).message)));
  }
  const response = await handleJsonRpc(doc, invoke, options);
  return response === undefined ? undefined : new TextDecoder().decode(encodeResponse(response, codec));
}

/** Error messages are free text: the specification fixes codes, not messages. */
function withoutMessages(doc: unknown): unknown {
  if (Array.isArray(doc)) return doc.map(withoutMessages);
  const d = doc as { error?: { message?: unknown } };
  if (d?.error) {
    assert.equal(typeof d.error.message, "string");
    assert.ok((d.error.message as string).length > 0, "an error message is never empty");
    return { ...d, error: { ...d.error, message: "<message>" } };
  }
  return doc;
}

/** Asserts `request` is answered by `expected` (JSON text, as the specification prints it). */
async function expectAnswer(request: string, expected: string | undefined, options: Partial<JsonRpcOptions> = {}): Promise<void> {
  const answer = await exchange(request, options);
  if (expected === undefined) {
    assert.equal(answer, undefined, `${request} must not be answered`);
    return;
  }
  assert.ok(answer !== undefined, `${request} must be answered`);
  assert.deepStrictEqual(withoutMessages(JSON.parse(answer)), withoutMessages(JSON.parse(expected)));
}

describe("the JSON-RPC 2.0 specification's examples", () => {
  it("rpc call with positional parameters", async () => {
    await expectAnswer(`{"jsonrpc": "2.0", "method": "subtract", "params": [42, 23], "id": 1}`, `{"jsonrpc": "2.0", "result": 19, "id": 1}`);
    await expectAnswer(`{"jsonrpc": "2.0", "method": "subtract", "params": [23, 42], "id": 2}`, `{"jsonrpc": "2.0", "result": -19, "id": 2}`);
  });

  it("rpc call with named parameters: the object is the handler's one argument", async () => {
    await expectAnswer(`{"jsonrpc": "2.0", "method": "subtract", "params": {"subtrahend": 23, "minuend": 42}, "id": 3}`, `{"jsonrpc": "2.0", "result": 19, "id": 3}`);
    await expectAnswer(`{"jsonrpc": "2.0", "method": "subtract", "params": {"minuend": 42, "subtrahend": 23}, "id": 4}`, `{"jsonrpc": "2.0", "result": 19, "id": 4}`);
  });

  it("a notification runs and is not answered, even for a method that does not exist", async () => {
    calls.length = 0;
    await expectAnswer(`{"jsonrpc": "2.0", "method": "update", "params": [1,2,3,4,5]}`, undefined);
    await expectAnswer(`{"jsonrpc": "2.0", "method": "foobar"}`, undefined);
    assert.deepEqual(calls, ["update 1,2,3,4,5"]);
  });

  it("rpc call of a non-existent method", async () => {
    await expectAnswer(`{"jsonrpc": "2.0", "method": "foobar", "id": "1"}`, `{"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": "1"}`);
  });

  it("rpc call with invalid JSON", async () => {
    await expectAnswer(`{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]`, `{"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": null}`);
  });

  it("rpc call with an invalid Request object", async () => {
    await expectAnswer(`{"jsonrpc": "2.0", "method": 1, "params": "bar"}`, `{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}`);
  });

  it("rpc call Batch, invalid JSON", async () => {
    await expectAnswer(
      `[
        {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},
        {"jsonrpc": "2.0", "method"
      ]`,
      `{"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": null}`,
    );
  });

  it("rpc call with an empty Array is one Invalid Request error, not an array", async () => {
    await expectAnswer(`[]`, `{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}`);
  });

  it("rpc call with an invalid Batch (but not empty)", async () => {
    await expectAnswer(`[1]`, `[{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}]`);
  });

  it("rpc call with invalid Batch", async () => {
    await expectAnswer(
      `[1,2,3]`,
      `[
        {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null},
        {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null},
        {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}
      ]`,
    );
  });

  it("rpc call Batch: answers in request order, notifications left out", async () => {
    calls.length = 0;
    await expectAnswer(
      `[
        {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},
        {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]},
        {"jsonrpc": "2.0", "method": "subtract", "params": [42,23], "id": "2"},
        {"foo": "boo"},
        {"jsonrpc": "2.0", "method": "foo.get", "params": {"name": "myself"}, "id": "5"},
        {"jsonrpc": "2.0", "method": "get_data", "id": "9"}
      ]`,
      `[
        {"jsonrpc": "2.0", "result": 7, "id": "1"},
        {"jsonrpc": "2.0", "result": 19, "id": "2"},
        {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null},
        {"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": "5"},
        {"jsonrpc": "2.0", "result": ["hello", 5], "id": "9"}
      ]`,
    );
    assert.deepEqual(calls, ["hello 7"]);
  });

  it("rpc call Batch (all notifications) is answered by nothing", async () => {
    calls.length = 0;
    await expectAnswer(
      `[
        {"jsonrpc": "2.0", "method": "notify_sum", "params": [1,2,4]},
        {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]}
      ]`,
      undefined,
    );
    assert.deepEqual(calls, ["sum 1,2,4", "hello 7"]);
  });
});

describe("ids", () => {
  it("a string, an integer, a fractional number or null is echoed exactly", async () => {
    for (const id of [`"abc"`, `""`, `"1"`, `7`, `0`, `-3`, `1.5`, `9007199254740991`, `null`, `"ünïcödé ✓"`]) {
      const answer = await exchange(`{"jsonrpc": "2.0", "method": "sum", "params": [1, 2], "id": ${id}}`);
      assert.deepStrictEqual(JSON.parse(answer!), { jsonrpc: "2.0", result: 3, id: JSON.parse(id) }, id);
      assert.ok(answer!.endsWith(`"id":${JSON.stringify(JSON.parse(id))}}`), answer);
    }
  });

  it("a request with id null is a call, not a notification", async () => {
    await expectAnswer(`{"jsonrpc": "2.0", "method": "get_data", "id": null}`, `{"jsonrpc": "2.0", "result": ["hello", 5], "id": null}`);
  });

  it("an id that is not a string, number or null is Invalid Request with id null", async () => {
    for (const id of [`true`, `{}`, `[1]`]) {
      await expectAnswer(`{"jsonrpc": "2.0", "method": "sum", "id": ${id}}`, `{"jsonrpc": "2.0", "error": {"code": -32600, "message": "x"}, "id": null}`);
    }
  });

  it("an id beyond the double range (1e400) is a Parse error: it would be read as Infinity", async () => {
    await expectAnswer(`{"jsonrpc": "2.0", "method": "sum", "id": 1e400}`, `{"jsonrpc": "2.0", "error": {"code": -32700, "message": "x"}, "id": null}`);
  });

  it("an invalid request whose id is valid is answered with that id", async () => {
    await expectAnswer(`{"jsonrpc": "1.0", "method": "sum", "id": 8}`, `{"jsonrpc": "2.0", "error": {"code": -32600, "message": "x"}, "id": 8}`);
    await expectAnswer(`{"method": "sum", "id": "no-version"}`, `{"jsonrpc": "2.0", "error": {"code": -32600, "message": "x"}, "id": "no-version"}`);
  });

  it("duplicate ids in a batch are each answered", async () => {
    await expectAnswer(
      `[{"jsonrpc": "2.0", "method": "sum", "params": [1], "id": 1}, {"jsonrpc": "2.0", "method": "sum", "params": [2], "id": 1}]`,
      `[{"jsonrpc": "2.0", "result": 1, "id": 1}, {"jsonrpc": "2.0", "result": 2, "id": 1}]`,
    );
  });
});

describe("requests", () => {
  it(`"jsonrpc" must be exactly "2.0"`, async () => {
    for (const version of [`"2"`, `2.0`, `"2.0 "`, `null`]) {
      await expectAnswer(`{"jsonrpc": ${version}, "method": "sum", "id": 1}`, `{"jsonrpc": "2.0", "error": {"code": -32600, "message": "x"}, "id": 1}`);
    }
  });

  it("params: an array is the argument list, an object one argument, absent no arguments", async () => {
    await expectAnswer(`{"jsonrpc": "2.0", "method": "echo", "params": [1, "a", null], "id": 1}`, `{"jsonrpc": "2.0", "result": [1, "a", null], "id": 1}`);
    await expectAnswer(`{"jsonrpc": "2.0", "method": "echo", "params": {"last_name": "Python"}, "id": 2}`, `{"jsonrpc": "2.0", "result": [{"last_name": "Python"}], "id": 2}`);
    await expectAnswer(`{"jsonrpc": "2.0", "method": "argc", "id": 3}`, `{"jsonrpc": "2.0", "result": 0, "id": 3}`);
    await expectAnswer(`{"jsonrpc": "2.0", "method": "argc", "params": [], "id": 4}`, `{"jsonrpc": "2.0", "result": 0, "id": 4}`);
    await expectAnswer(`{"jsonrpc": "2.0", "method": "argc", "params": {}, "id": 5}`, `{"jsonrpc": "2.0", "result": 1, "id": 5}`);
  });

  it("params that are neither an array nor an object (null included) are Invalid Request", async () => {
    for (const params of [`"bar"`, `1`, `true`, `null`]) {
      await expectAnswer(`{"jsonrpc": "2.0", "method": "argc", "params": ${params}, "id": 1}`, `{"jsonrpc": "2.0", "error": {"code": -32600, "message": "x"}, "id": 1}`);
    }
  });

  it("a document that is not an object or array is Invalid Request", async () => {
    for (const doc of [`1`, `"call"`, `null`, `true`]) {
      await expectAnswer(doc, `{"jsonrpc": "2.0", "error": {"code": -32600, "message": "x"}, "id": null}`);
    }
  });

  it("names a peer must never reach are Method not found", async () => {
    for (const method of ["__proto__", "constructor", "constructor.prototype", "toString", "hasOwnProperty", "", "rpc.other"]) {
      await expectAnswer(`{"jsonrpc": "2.0", "method": ${JSON.stringify(method)}, "id": 1}`, `{"jsonrpc": "2.0", "error": {"code": -32601, "message": "x"}, "id": 1}`);
    }
  });

  it("a handler's undefined result is sent as null, or kept in extended mode", async () => {
    await expectAnswer(`{"jsonrpc": "2.0", "method": "nothing", "id": 1}`, `{"jsonrpc": "2.0", "result": null, "id": 1}`);
    const answer = await exchange(`{"jsonrpc": "2.0", "method": "nothing", "id": 1}`, { extended: true }, ext);
    assert.equal(answer, `{"jsonrpc":"2.0","result":{"$farcall:undefined":null},"id":1}`);
    const outcome = parseResponse(ext.decode(new TextEncoder().encode(answer)), [1]).get(1);
    assert.deepStrictEqual(outcome, { ok: true, value: undefined });
  });

  it("invoke learns whether the call is a notification", async () => {
    const seen: boolean[] = [];
    const record: JsonRpcInvoke = (_m, _a, isNotification) => void seen.push(isNotification);
    await handleJsonRpc([{ jsonrpc: "2.0", method: "m", id: 1 }, { jsonrpc: "2.0", method: "m" }], record);
    assert.deepEqual(seen, [false, true]);
  });

  it("batch elements run concurrently and are answered in request order", async () => {
    const answer = await exchange(`[
      {"jsonrpc": "2.0", "method": "later", "params": [30, "slow"], "id": 1},
      {"jsonrpc": "2.0", "method": "later", "params": [0, "fast"], "id": 2}
    ]`);
    assert.deepStrictEqual(JSON.parse(answer!), [{ jsonrpc: "2.0", result: "slow", id: 1 }, { jsonrpc: "2.0", result: "fast", id: 2 }]);
  });
});

describe("errors", () => {
  it("a framework code thrown by a handler is its JSON_RPC_CODES number", async () => {
    await expectAnswer(`{"jsonrpc": "2.0", "method": "fail", "params": ["INVALID_PARAMS", "bad amount"], "id": 1}`, `{"jsonrpc": "2.0", "error": {"code": -32602, "message": "x"}, "id": 1}`);
    await expectAnswer(`{"jsonrpc": "2.0", "method": "fail", "params": ["RESOURCE_EXHAUSTED", "full"], "id": 1}`, `{"jsonrpc": "2.0", "error": {"code": -32005, "message": "x"}, "id": 1}`);
  });

  it("a thrown non-RpcError is -32603 with its message only: no stack, no data", async () => {
    const answer = await exchange(`{"jsonrpc": "2.0", "method": "crash", "id": 1}`);
    assert.deepStrictEqual(JSON.parse(answer!), { jsonrpc: "2.0", error: { code: -32603, message: "disk on fire" }, id: 1 });
  });

  it("a numeric application code and its data pass through unchanged", async () => {
    const answer = await exchange(`{"jsonrpc": "2.0", "method": "fail", "params": [42, "answer", {"k": [1]}], "id": 1}`);
    assert.deepStrictEqual(JSON.parse(answer!), { jsonrpc: "2.0", error: { code: 42, message: "answer", data: { k: [1] } }, id: 1 });
  });

  it("a string application code is -32000 with data {code, data}", async () => {
    const answer = await exchange(`{"jsonrpc": "2.0", "method": "fail", "params": ["INSUFFICIENT_FUNDS", "balance too low", {"balance": 5}], "id": 1}`);
    assert.deepStrictEqual(JSON.parse(answer!), {
      jsonrpc: "2.0",
      error: { code: -32000, message: "balance too low", data: { code: "INSUFFICIENT_FUNDS", data: { balance: 5 } } },
      id: 1,
    });
  });

  it("every kind of RpcError is restored exactly by the client side", async () => {
    const cases = [
      new RpcError("INSUFFICIENT_FUNDS", "balance too low", { balance: 5, wanted: 10 }),
      new RpcError("NO_DATA", "string code without data"),
      new RpcError(42, "numeric code", [1, 2]),
      new RpcError(-32000, "the wrapper's own number", { code: "LOOKS_WRAPPED" }),
      new RpcError(-32000, "the wrapper's own number, plain data", { other: 1 }),
      new RpcError(-32000, "the wrapper's own number, no data"),
      new RpcError(1.5, "a number that is not an integer"),
      new RpcError("DEADLINE_EXCEEDED", "framework code", { ms: 5 }),
      new RpcError("METHOD_NOT_FOUND", "framework code without data"),
    ];
    for (const thrown of cases) {
      const params = thrown.data === undefined ? [thrown.code, thrown.message] : [thrown.code, thrown.message, thrown.data];
      const answer = await exchange(JSON.stringify({ jsonrpc: "2.0", method: "fail", params, id: 1 }));
      const outcome = parseResponse(JSON.parse(answer!), [1]).get(1)!;
      assert.ok(!outcome.ok);
      assert.equal(outcome.error.code, thrown.code, thrown.message);
      assert.equal(outcome.error.message, thrown.message);
      assert.deepStrictEqual(outcome.error.data, thrown.data, thrown.message);
      assert.equal("data" in outcome.error, thrown.data !== undefined, `${thrown.message}: data present only when sent`);
    }
  });

  it("an error from a notification is never answered", async () => {
    await expectAnswer(`{"jsonrpc": "2.0", "method": "crash"}`, undefined);
    await expectAnswer(`{"jsonrpc": "2.0", "method": "later", "params": [0]}`, undefined);
    const rejecting: JsonRpcInvoke = () => Promise.reject(new Error("async failure"));
    assert.equal(await handleJsonRpc({ jsonrpc: "2.0", method: "m" }, rejecting), undefined);
  });

  it("a NaN or Infinity in a result fails that call alone with INTERNAL naming where it sits, never a quiet null", async () => {
    const answer = await handleJsonRpc(
      [{ jsonrpc: "2.0", method: "ratio", id: 1 }, { jsonrpc: "2.0", method: "fine", id: 2 }],
      (method) => (method === "ratio" ? { mean: 0 / 0 } : "ok"),
    );
    const sent = JSON.parse(new TextDecoder().decode(encodeResponse(answer!, plain))) as { error?: { code: number; message: string }; result?: unknown }[];
    assert.equal(sent[0]!.error!.code, -32603);
    assert.match(sent[0]!.error!.message, /result\.mean \(NaN\) cannot be carried in plain JSON/);
    assert.equal(sent[1]!.result, "ok");
  });

  it("a result the codec cannot carry fails that call alone with INTERNAL", async () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const answer = await handleJsonRpc(
      [{ jsonrpc: "2.0", method: "cyclic", id: 1 }, { jsonrpc: "2.0", method: "fine", id: 2 }],
      (method) => (method === "cyclic" ? cyclic : "ok"),
    );
    const sent = JSON.parse(new TextDecoder().decode(encodeResponse(answer!, plain))) as unknown;
    assert.deepStrictEqual(withoutMessages(sent), [
      { jsonrpc: "2.0", error: { code: -32603, message: "<message>" }, id: 1 },
      { jsonrpc: "2.0", result: "ok", id: 2 },
    ]);
  });
});

describe("the batch-size limit", () => {
  const batch = (n: number): unknown[] => Array.from({ length: n }, (_, i) => ({ jsonrpc: "2.0", method: "sum", params: [i], id: i }));

  it("1000 requests are answered by default, 1001 refused as one RESOURCE_EXHAUSTED error before any runs", async () => {
    let runs = 0;
    const counting: JsonRpcInvoke = (method, args) => {
      runs++;
      return invoke(method, args, false);
    };
    const answered = await handleJsonRpc(batch(1000), counting);
    assert.equal((answered as unknown[]).length, 1000);
    runs = 0;
    const refused = await handleJsonRpc(batch(1001), counting);
    assert.equal(runs, 0);
    assert.deepStrictEqual(withoutMessages(refused), { jsonrpc: "2.0", error: { code: -32005, message: "<message>" }, id: null });
    assert.match((refused as { error: { message: string } }).error.message, /1001 .*maxBatch 1000/);
  });

  it("a batch of 100,000 requests is refused, and maxBatch is an option", async () => {
    const refused = (await handleJsonRpc(batch(100_000), invoke)) as { error: { code: number } };
    assert.equal(refused.error.code, -32005);
    assert.equal(((await handleJsonRpc(batch(2), invoke, { maxBatch: 2 })) as unknown[]).length, 2);
    assert.equal(((await handleJsonRpc(batch(3), invoke, { maxBatch: 2 })) as { error: { code: number } }).error.code, -32005);
  });

  it("a maxBatch that is not a positive integer is a RangeError naming it", async () => {
    await assert.rejects(handleJsonRpc([], invoke, { maxBatch: 0 }), (e: unknown) => e instanceof RangeError && /maxBatch/.test(e.message));
  });
});

describe("rpc.discover", () => {
  const info = { title: "demo", version: "1.0.0" };

  it("answers the OpenRPC document the caller provides", async () => {
    const discover = () => buildOpenRpcDocument(dispatcher.list(), info);
    const answer = await exchange(`{"jsonrpc": "2.0", "method": "rpc.discover", "id": 1}`, { discover });
    const doc = (JSON.parse(answer!) as { result: ReturnType<typeof buildOpenRpcDocument> }).result;
    assert.equal(doc.openrpc, "1.2.6");
    assert.deepStrictEqual(doc.info, info);
    const subtract = doc.methods.find((m) => m.name === "subtract")!;
    assert.deepStrictEqual(subtract, {
      name: "subtract",
      params: [{ name: "arg0", schema: {} }, { name: "arg1", schema: {} }],
      result: { name: "result", schema: {} },
      paramStructure: "by-position",
    });
    assert.deepEqual(doc.methods.map((m) => m.name), dispatcher.list().map((m) => m.name));
  });

  it("gives each parameter and the result the JSON Schema of its Standard Schema, where the library converts it", () => {
    const api = {
      scale: describeMethod((n: number, factor: number) => n * factor, { params: [{ name: "n" }, { name: "factor" }], input: [z.number(), z.number().int()], output: z.number() }),
      create: describeMethod((user: { name: string }) => user.name, { input: z.object({ name: z.string() }) }),
      shout: describeMethod((s: string) => s, { input: [z.string().transform((s) => s.toUpperCase())], output: z.string() }),
    };
    const doc = buildOpenRpcDocument(new Dispatcher(api).list(), info);
    const byName = new Map(doc.methods.map((m) => [m.name, m]));
    assert.deepStrictEqual(byName.get("scale")!.params, [
      { name: "n", schema: { type: "number" } },
      { name: "factor", schema: { type: "integer", minimum: Number.MIN_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER } },
    ]);
    assert.deepStrictEqual(byName.get("scale")!.result, { name: "result", schema: { type: "number" } });
    assert.deepStrictEqual(byName.get("create")!.params, [{ name: "arg0", schema: { type: "object", properties: { name: { type: "string" } }, required: ["name"] } }]);
    assert.deepStrictEqual(byName.get("shout")!.params, [{ name: "arg0", schema: { type: "string" } }], "a transform's input is still a string");
  });

  it("may be answered asynchronously", async () => {
    const answer = await exchange(`{"jsonrpc": "2.0", "method": "rpc.discover", "id": 1}`, { discover: async () => ({ openrpc: "1.2.6" }) });
    assert.deepStrictEqual(JSON.parse(answer!), { jsonrpc: "2.0", result: { openrpc: "1.2.6" }, id: 1 });
  });

  it("is Method not found when no document is provided, and a notification of it is not answered", async () => {
    await expectAnswer(`{"jsonrpc": "2.0", "method": "rpc.discover", "id": 1}`, `{"jsonrpc": "2.0", "error": {"code": -32601, "message": "x"}, "id": 1}`);
    await expectAnswer(`{"jsonrpc": "2.0", "method": "rpc.discover"}`, undefined, { discover: () => ({}) });
  });

  it("other rpc. names are reserved: Method not found, even when the API has such a method", async () => {
    assert.ok(dispatcher.lookup("rpc.other"), "the API does expose rpc.other");
    await expectAnswer(`{"jsonrpc": "2.0", "method": "rpc.other", "id": 1}`, `{"jsonrpc": "2.0", "error": {"code": -32601, "message": "x"}, "id": 1}`, { discover: () => ({}) });
  });

  it("the document carries the description only when given", () => {
    assert.deepStrictEqual(buildOpenRpcDocument([{ name: "f", arity: 0 }], { ...info, description: "d" }), {
      openrpc: "1.2.6",
      info: { ...info, description: "d" },
      methods: [{ name: "f", params: [], result: { name: "result", schema: {} }, paramStructure: "by-position" }],
    });
  });
});

describe("client side", () => {
  it("builds requests, notifications and batches as the specification writes them", () => {
    assert.deepStrictEqual(buildRequest(1, "subtract", [42, 23]), { jsonrpc: "2.0", method: "subtract", params: [42, 23], id: 1 });
    assert.deepStrictEqual(buildRequest("a", "get_data", []), { jsonrpc: "2.0", method: "get_data", id: "a" });
    assert.deepStrictEqual(buildNotification("update", [1, 2]), { jsonrpc: "2.0", method: "update", params: [1, 2] });
    assert.deepStrictEqual(buildNotification("foobar", []), { jsonrpc: "2.0", method: "foobar" });
    assert.deepStrictEqual(buildBatch([buildRequest(1, "a", []), buildNotification("b", [])]), [
      { jsonrpc: "2.0", method: "a", id: 1 },
      { jsonrpc: "2.0", method: "b" },
    ]);
    assert.throws(() => buildBatch([]), (e: unknown) => RpcError.is(e) && e.code === "INVALID_REQUEST");
  });

  it("our requests are answered by our server as expected", async () => {
    const batch = buildBatch([buildRequest(1, "subtract", [42, 23]), buildNotification("update", [9]), buildRequest(2, "foobar", [])]);
    const answer = await handleJsonRpc(batch, invoke);
    const outcomes = parseResponse(answer, [1, 2]);
    assert.deepStrictEqual(outcomes.get(1), { ok: true, value: 19 });
    const missing = outcomes.get(2)!;
    assert.ok(!missing.ok && missing.error.code === "METHOD_NOT_FOUND");
  });

  it("matches batch responses by id, whatever their order, and ignores ids not pending", () => {
    const outcomes = parseResponse(
      [
        { jsonrpc: "2.0", result: "two", id: 2 },
        { jsonrpc: "2.0", result: "stranger", id: 99 },
        { jsonrpc: "2.0", result: "one", id: 1 },
      ],
      [1, 2],
    );
    assert.deepStrictEqual([...outcomes], [[1, { ok: true, value: "one" }], [2, { ok: true, value: "two" }]]);
  });

  it("an error with id null fails every call left unanswered", () => {
    const outcomes = parseResponse(parseErrorResponse("Parse error"), [1, 2]);
    for (const id of [1, 2]) {
      const o = outcomes.get(id)!;
      assert.ok(!o.ok && o.error.code === "PARSE_ERROR");
    }
    const limited = parseResponse({ jsonrpc: "2.0", error: { code: -32005, message: "batch too big" }, id: null }, ["a"]).get("a")!;
    assert.ok(!limited.ok && limited.error.code === "RESOURCE_EXHAUSTED");
  });

  it("a call without a response, or a malformed response, fails with INTERNAL", () => {
    const partial = parseResponse([{ jsonrpc: "2.0", result: 1, id: 1 }], [1, 2]).get(2)!;
    assert.ok(!partial.ok && partial.error.code === "INTERNAL" && /no response/.test(partial.error.message));
    for (const doc of [null, 5, "x", {}, { jsonrpc: "1.0", result: 1, id: 1 }, { jsonrpc: "2.0", id: 1 }, { jsonrpc: "2.0", result: 1, error: {}, id: 1 }, { jsonrpc: "2.0", result: 1 }]) {
      const o = parseResponse(doc, [1]).get(1)!;
      assert.ok(!o.ok && o.error.code === "INTERNAL" && /malformed/.test(o.error.message), JSON.stringify(doc));
    }
    const badError = parseResponse({ jsonrpc: "2.0", error: { code: "x", message: 1 }, id: 1 }, [1]).get(1)!;
    assert.ok(!badError.ok && badError.error.code === "INTERNAL");
  });

  it("a result that is itself an Error stays a result (extended mode)", () => {
    const value = new TypeError("returned, not thrown");
    const outcome = parseResponse({ jsonrpc: "2.0", result: value, id: 1 }, [1]).get(1);
    assert.deepStrictEqual(outcome, { ok: true, value });
  });

  it("numbers outside our table arrive as numeric codes with their data", () => {
    const o = parseResponse({ jsonrpc: "2.0", error: { code: -32099, message: "server specific", data: [1] }, id: 1 }, [1]).get(1)!;
    assert.ok(!o.ok);
    assert.equal(o.error.code, -32099);
    assert.deepStrictEqual(o.error.data, [1]);
  });
});
