/**
 * What the call pipeline checks before a handler runs (src/core/call-check.ts): the declared
 * argument count, and Standard Schemas given to describeMethod() (zod here, a real
 * implementation of the spec).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { z } from "zod";
import type { StandardSchemaV1 } from "@standard-schema/spec";
import { RpcError } from "../../src/core/errors.js";
import { IncomingCall } from "../../src/core/incoming-call.js";
import { describeMethod } from "../../src/core/method-doc.js";
import type { CallSink, Interceptor } from "../../src/core/pipeline.js";
import { pipelineFor } from "../helpers/pipeline.js";

const peer = { transport: "tcp", address: "127.0.0.1", authenticated: true };

function callOf(method: string, params: unknown[]): IncomingCall {
  return new IncomingCall("farcall/1", 1, method, params, peer, undefined, undefined);
}

/** The RpcError a call is refused with. */
async function refusal(api: object, method: string, params: unknown[], use?: Interceptor[]): Promise<RpcError> {
  const error = await pipelineFor(api, use ? { use } : {}).invoke(callOf(method, params)).then(
    (value) => assert.fail(`expected ${method} to be refused, it answered ${JSON.stringify(value)}`),
    (e: unknown) => e,
  );
  assert.ok(RpcError.is(error), `not an RpcError: ${String(error)}`);
  return error;
}

// ---- the declared count ----

test("too many arguments are INVALID_PARAMS naming the method and both counts, and the handler never runs", async () => {
  let ran = false;
  const add = (a: number, b: number) => ((ran = true), a + b);
  const e = await refusal({ add }, "add", [1, 2, 3]);
  assert.equal(e.code, "INVALID_PARAMS");
  assert.equal(e.message, "add takes 2 arguments, 3 given");
  assert.deepEqual(e.data, { given: 3, min: 2, max: 2 });
  assert.equal(ran, false);
});

test("a missing required argument is INVALID_PARAMS, as Python answers TypeError", async () => {
  const e = await refusal({ add: (a: number, b: number) => a + b }, "add", [1]);
  assert.equal(e.code, "INVALID_PARAMS");
  assert.equal(e.message, "add is missing 1 required argument: takes 2 arguments, 1 given");
});

test("parameters with defaults may be left out, and a rest parameter takes any number", async () => {
  const p = pipelineFor({ greet: (name: string, greeting = "hello") => `${greeting} ${name}`, sum: (first: number, ...more: number[]) => more.reduce((a, b) => a + b, first) });
  assert.equal(await p.invoke(callOf("greet", ["ann"])), "hello ann");
  assert.equal(await p.invoke(callOf("greet", ["ann", "hi"])), "hi ann");
  assert.equal(await p.invoke(callOf("sum", [1, 2, 3, 4])), 10);
  const e = await refusal({ sum: (first: number, ...more: number[]) => more.length + first }, "sum", []);
  assert.equal(e.message, "sum is missing 1 required argument: takes at least 1 argument, 0 given");
  assert.deepEqual(e.data, { given: 0, min: 1 });
});

test("describeMethod's params give the count, trailing optional ones may be left out", async () => {
  const find = describeMethod((...args: unknown[]) => args, { params: [{ name: "key" }, { name: "limit", optional: true }] });
  const p = pipelineFor({ find });
  assert.deepEqual(await p.invoke(callOf("find", ["k"])), ["k"]);
  assert.deepEqual(await p.invoke(callOf("find", ["k", 2])), ["k", 2]);
  assert.equal((await refusal({ find }, "find", ["k", 2, 3])).message, "find takes 1 to 2 arguments, 3 given");
  assert.equal((await refusal({ find }, "find", [])).code, "INVALID_PARAMS");
});

test("variadic: true turns the count off", async () => {
  const loose = describeMethod((a: unknown) => a ?? "nothing", { variadic: true });
  const p = pipelineFor({ loose });
  assert.equal(await p.invoke(callOf("loose", [])), "nothing");
  assert.equal(await p.invoke(callOf("loose", [1, 2, 3])), 1);
});

test("a synchronous handler with a count check is still answered in the same turn", () => {
  const outcomes: unknown[] = [];
  const sink: CallSink = { inFlight: 0, maxInFlight: 10, scope: "this test", settled: (_c, value, error) => outcomes.push(value ?? (error as RpcError).code) };
  const p = pipelineFor({ add: (a: number, b: number) => a + b });
  p.dispatch(callOf("add", [2, 3]), sink);
  p.dispatch(callOf("add", [2]), sink);
  assert.deepEqual(outcomes, [5, "INVALID_PARAMS"]);
});

// ---- Standard Schemas ----

const add = describeMethod((a: number, b: number) => a + b, { input: [z.number(), z.number()], output: z.number() });

test("positional schemas: an invalid argument is INVALID_PARAMS with each issue's path (argument index first) and message", async () => {
  const e = await refusal({ add }, "add", ["a", 1]);
  assert.equal(e.code, "INVALID_PARAMS");
  assert.match(e.message, /^invalid arguments for add: \[0\]: Invalid input: expected number, received string$/);
  assert.deepEqual(e.data, { issues: [{ path: [0], message: "Invalid input: expected number, received string" }] });
});

test("positional schemas: every failing argument is reported, nested paths included", async () => {
  const move = describeMethod((from: unknown, to: unknown) => [from, to], { input: [z.object({ x: z.number() }), z.object({ x: z.number() })] });
  const e = await refusal({ move }, "move", [{ x: "1" }, { y: 2 }]);
  assert.deepEqual((e.data as { issues: { path: unknown[] }[] }).issues.map((i) => i.path), [[0, "x"], [1, "x"]]);
  assert.match(e.message, /\[0\]\.x: .*; \[1\]\.x: /);
});

test("positional schemas: more arguments than schemas are INVALID_PARAMS; a missing one is checked as undefined", async () => {
  assert.equal((await refusal({ add }, "add", [1, 2, 3])).message, "add takes 0 to 2 arguments, 3 given");
  assert.deepEqual(((await refusal({ add }, "add", [1])).data as { issues: unknown[] }).issues, [{ path: [1], message: "Invalid input: expected number, received undefined" }]);
  const page = describeMethod((n: number, size?: number) => [n, size], { input: [z.number(), z.number().optional()] });
  assert.deepEqual(await pipelineFor({ page }).invoke(callOf("page", [1])), [1, undefined]);
});

test("the handler gets what the schemas output (a declared transform, not a silent change)", async () => {
  const shout = describeMethod((s: string) => s, { input: [z.string().transform((s) => s.toUpperCase())] });
  assert.equal(await pipelineFor({ shout }).invoke(callOf("shout", ["hi"])), "HI");
});

test("one schema checks the one argument of a method taking named params (an object)", async () => {
  const create = describeMethod((user: { name: string; age: number }) => `${user.name} ${user.age}`, { input: z.object({ name: z.string(), age: z.number().int() }) });
  assert.equal(await pipelineFor({ create }).invoke(callOf("create", [{ name: "ann", age: 3 }])), "ann 3");
  const e = await refusal({ create }, "create", [{ name: "ann", age: 3.5 }]);
  assert.deepEqual((e.data as { issues: { path: unknown[] }[] }).issues.map((i) => i.path), [["age"]]);
  assert.match(e.message, /^invalid arguments for create: age: /);
  assert.equal((await refusal({ create }, "create", [{ name: "a", age: 1 }, 2])).message, "create takes 0 to 1 arguments, 2 given");
});

test("a result that fails the output schema is INTERNAL: the server broke its contract", async () => {
  const half = describeMethod(async (n: number) => (n % 2 === 0 ? n / 2 : String(n)), { input: [z.number()], output: z.number() });
  assert.equal(await pipelineFor({ half }).invoke(callOf("half", [4])), 2);
  const e = await refusal({ half }, "half", [3]);
  assert.equal(e.code, "INTERNAL");
  assert.match(e.message, /^the result of half does not match its output schema: Invalid input: expected number, received string$/);
});

test("an asynchronous schema is awaited", async () => {
  const even: StandardSchemaV1<number> = {
    "~standard": { version: 1, vendor: "test", validate: async (v) => (typeof v === "number" && v % 2 === 0 ? { value: v } : { issues: [{ message: "not even" }] }) },
  };
  const twice = describeMethod((n: number) => n * 2, { input: [even] });
  assert.equal(await pipelineFor({ twice }).invoke(callOf("twice", [2])), 4);
  assert.equal((await refusal({ twice }, "twice", [3])).message, "invalid arguments for twice: [0]: not even");
});

test("validation runs after the interceptors: they see an invalid call fail INVALID_PARAMS, and a refusing one answers first", async () => {
  const seen: string[] = [];
  const watch: Interceptor = async (call, next) => {
    try {
      return await next();
    } catch (e) {
      seen.push(`${call.method} ${(e as RpcError).code}`);
      throw e;
    }
  };
  await refusal({ add }, "add", ["x", 1], [watch]);
  assert.deepEqual(seen, ["add INVALID_PARAMS"]);
  const deny: Interceptor = () => {
    throw new RpcError("PERMISSION_DENIED", "no");
  };
  assert.equal((await refusal({ add }, "add", ["x"], [deny])).code, "PERMISSION_DENIED");
});

test("describeMethod refuses a schema that is not a Standard Schema", () => {
  assert.throws(() => describeMethod(() => 1, { input: [{} as StandardSchemaV1] }), /input\[0\] is not a Standard Schema/);
  assert.throws(() => describeMethod(() => 1, { output: "number" as unknown as StandardSchemaV1 }), /output is not a Standard Schema/);
});

test("a description attached by one copy of farcall is seen by another copy in the same process", async () => {
  // A second copy of the module, as a program importing another build of the package would load.
  const other = (await import(`../../src/core/method-doc.js?copy=${Date.now()}`)) as typeof import("../../src/core/method-doc.js");
  const fn = (a: number) => a;
  describeMethod(fn, { description: "doubles nothing" });
  assert.equal(other.methodDoc(fn)?.description, "doubles nothing");
});
