/**
 * Typed errors in a method's contract (describeMethod's `errors`, src/core/error-contract.ts):
 * what the server does with what a handler throws, what introspection lists, and what a caller
 * receives over farcall/1 and JSON-RPC over HTTP. The compile-time side is in
 * error-contract.types.ts.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { z } from "zod";
import { IncomingCall } from "../../src/core/incoming-call.js";
import type { Logger } from "../../src/core/logger.js";
import { close, connect, describeMethod, isRpcError, listMethods, RpcError, serve } from "../../src/index.js";
import { rejectsWith, within } from "../helpers/bounded.js";
import { pipelineFor } from "../helpers/pipeline.js";

const WAIT_MS = 10_000;
const peer = { transport: "tcp", address: "127.0.0.1", authenticated: true };

function account() {
  let balance = 10;
  return {
    withdraw: describeMethod(
      async (amount: number, data: unknown = undefined): Promise<number> => {
        if (amount === 0) throw new RpcError("ACCOUNT_FROZEN", "frozen");
        if (amount < 0) throw new RpcError("NOT_DECLARED", "a code the contract does not name");
        if (amount > balance) throw new RpcError("INSUFFICIENT_FUNDS", `balance ${balance}`, data ?? { balance });
        return (balance -= amount);
      },
      {
        description: "Takes amount out",
        errors: { INSUFFICIENT_FUNDS: { description: "amount exceeds the balance", data: z.object({ balance: z.number() }) }, ACCOUNT_FROZEN: true },
      },
    ),
    plain: (): never => {
      throw new RpcError("ANYTHING", "no contract, no log");
    },
  };
}

function recorder(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) };
}

async function thrown(promise: Promise<unknown>): Promise<RpcError> {
  const e = await promise.then(
    (v) => assert.fail(`expected a rejection, got ${JSON.stringify(v)}`),
    (err: unknown) => err,
  );
  assert.ok(RpcError.is(e));
  return e;
}

const call = (method: string, params: unknown[]) => new IncomingCall("farcall/1", 1, method, params, peer, undefined, undefined);

test("a declared code thrown with data its schema accepts reaches the caller unchanged", async () => {
  const e = await thrown(pipelineFor(account()).invoke(call("withdraw", [50])));
  assert.equal(e.code, "INSUFFICIENT_FUNDS");
  assert.deepEqual(e.data, { balance: 10 });
});

test("a declared code thrown with data its schema refuses answers INTERNAL naming the code, the method and the issue", async () => {
  const e = await thrown(pipelineFor(account()).invoke(call("withdraw", [50, { balance: "ten" }])));
  assert.equal(e.code, "INTERNAL");
  assert.match(e.message, /^the data of INSUFFICIENT_FUNDS thrown by withdraw does not match its declared schema: balance: /);
  assert.deepEqual((e.data as { issues: { path: unknown[] }[] }).issues[0]!.path, ["balance"]);
});

test("an undeclared application code still reaches the caller, and the server log names it", async () => {
  const log = recorder();
  const e = await thrown(pipelineFor(account(), { logger: log }).invoke(call("withdraw", [-1])));
  assert.equal(e.code, "NOT_DECLARED");
  assert.deepEqual(log.lines, ["withdraw threw NOT_DECLARED, a code its describeMethod errors do not declare"]);
});

test("declared codes, framework codes and methods without a contract are not logged", async () => {
  const log = recorder();
  const p = pipelineFor(account(), { logger: log });
  assert.equal((await thrown(p.invoke(call("withdraw", [0])))).code, "ACCOUNT_FROZEN");
  assert.equal((await thrown(p.invoke(call("withdraw", [1, 2, 3])))).code, "INVALID_PARAMS");
  assert.equal((await thrown(p.invoke(call("plain", [])))).code, "ANYTHING");
  assert.deepEqual(log.lines, []);
});

test("describeMethod refuses an error declaration that is not a schema, true or a description", () => {
  assert.throws(() => describeMethod(() => 1, { errors: { BAD: 42 as unknown as true } }), /errors\.BAD must be a Standard Schema, true, a description, or \{ description, data \}/);
  assert.throws(() => describeMethod(() => 1, { errors: [] as unknown as Record<string, true> }), /errors must be an object/);
});

test("isRpcError checks the brand and, when named, the code", () => {
  const e = new RpcError("INSUFFICIENT_FUNDS", "m", { balance: 1 });
  assert.equal(isRpcError(e), true);
  assert.equal(isRpcError(e, "INSUFFICIENT_FUNDS"), true);
  assert.equal(isRpcError(e, "OTHER"), false);
  assert.equal(isRpcError(e, () => 0, "INSUFFICIENT_FUNDS" as never), true);
  assert.equal(isRpcError(new Error("x"), "INSUFFICIENT_FUNDS"), false);
  assert.equal(isRpcError({ code: "INSUFFICIENT_FUNDS" }), false);
});

for (const scheme of ["tcp", "http"] as const) {
  test(`over ${scheme}://, listMethods lists the declared errors and a caught error narrows by its method`, async (t) => {
    const server = await serve(account(), { listen: `${scheme}://127.0.0.1:0`, logger: false });
    t.after(() => server.close());
    const remote = await within(connect<ReturnType<typeof account>>(server.addresses[0]!), WAIT_MS, "connect");
    t.after(() => close(remote));
    const methods = await within(listMethods(remote), WAIT_MS, "listMethods");
    const withdraw = methods.find((m) => m.name === "withdraw")!;
    assert.deepEqual(withdraw.errors, [
      {
        code: "INSUFFICIENT_FUNDS",
        description: "amount exceeds the balance",
        dataSchema: { type: "object", properties: { balance: { type: "number" } }, required: ["balance"], additionalProperties: false },
      },
      { code: "ACCOUNT_FROZEN" },
    ]);
    const e = await rejectsWith(remote.withdraw(50), "INSUFFICIENT_FUNDS", WAIT_MS, "withdraw");
    assert.ok(isRpcError(e, remote.withdraw, "INSUFFICIENT_FUNDS"));
    assert.equal(e.data.balance, 10);
  });
}

test("the OpenRPC document lists declared errors as Error Objects under -32000 with the code in data", async (t) => {
  const server = await serve(account(), { listen: "http://127.0.0.1:0", logger: false });
  t.after(() => server.close());
  const response = await within(
    fetch(server.addresses[0]!, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "rpc.discover" }) }),
    WAIT_MS,
    "rpc.discover",
  );
  const doc = (await response.json()) as { result: { methods: { name: string; errors?: unknown[] }[] } };
  const withdraw = doc.result.methods.find((m) => m.name === "withdraw")!;
  assert.deepEqual(withdraw.errors, [
    { code: -32000, message: "amount exceeds the balance", data: { code: "INSUFFICIENT_FUNDS", schema: { type: "object", properties: { balance: { type: "number" } }, required: ["balance"], additionalProperties: false } } },
    { code: -32000, message: "ACCOUNT_FROZEN", data: { code: "ACCOUNT_FROZEN" } },
  ]);
  assert.equal(doc.result.methods.find((m) => m.name === "plain")!.errors, undefined);
});

test("the caller gets the data as the declared schema outputs it: keys the schema does not name are stripped", async () => {
  const api = {
    fail: describeMethod(
      (): never => {
        throw new RpcError("LIMIT", "over", { limit: 5, internal: "not for callers" });
      },
      { errors: { LIMIT: z.object({ limit: z.number() }) } },
    ),
  };
  const e = await thrown(pipelineFor(api).invoke(call("fail", [])));
  assert.deepEqual(e.data, { limit: 5 });
});
