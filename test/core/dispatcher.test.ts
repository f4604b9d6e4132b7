import assert from "node:assert/strict";
import { test } from "node:test";
import { Dispatcher } from "../../src/core/dispatcher.js";
import { describeMethod } from "../../src/core/method-doc.js";
import { buildOpenRpcDocument } from "../../src/jsonrpc/openrpc.js";

class Base {
  hello(): string {
    return "base";
  }
}
class Account extends Base {
  #balance = 0;
  state = { secret: true };
  arrow = (n: number) => n * 2;
  deposit(n: number): number {
    this.#balance += n;
    return this.#balance;
  }
  get balanceGetter(): number {
    throw new Error("accessors are never called");
  }
  _internal(): void {}
}

test("plain functions, nested objects and class instances become dotted methods", () => {
  const d = new Dispatcher({ add: (a: number, b: number) => a + b, math: { sq: (x: number) => x * x, deep: { one: () => 1 } }, account: new Account() });
  assert.deepEqual(
    d.list().map((m) => m.name),
    ["account.arrow", "account.deposit", "account.hello", "add", "math.deep.one", "math.sq"],
  );
  assert.equal(d.lookup("add")?.arity, 2);
});

test("class methods run with the instance as this", () => {
  const account = new Account();
  const d = new Dispatcher({ account });
  const entry = d.lookup("account.deposit")!;
  assert.equal(entry.fn.apply(entry.self, [5]), 5);
  assert.equal(entry.fn.apply(entry.self, [5]), 10);
});

test("constructor, Object.prototype members, _, # and $ names and data fields are never methods", () => {
  const d = new Dispatcher({ account: new Account(), _hidden: () => 1, $reserved: () => 2, data: [() => 3] });
  for (const name of ["constructor", "toString", "__proto__", "hasOwnProperty", "account.constructor", "account.toString", "account._internal", "account.state.secret", "account.balanceGetter", "_hidden", "$reserved", "data.0"]) {
    assert.equal(d.lookup(name), undefined, name);
  }
});

test("a cyclic API is walked once without recursing forever", () => {
  const api: Record<string, unknown> = { f: () => 1 };
  api.self = api;
  assert.deepEqual(new Dispatcher(api).list().map((m) => m.name), ["f"]);
});

test("an API that is not an object is a TypeError", () => {
  assert.throws(() => new Dispatcher(null as unknown as object), TypeError);
});

test("list() carries describeMethod()'s description and parameter names, and OpenRPC uses them", () => {
  const add = describeMethod((a: number, b: number) => a + b, { description: "Adds two numbers", params: [{ name: "x", type: "int" }, { name: "y", type: "int" }] });
  const d = new Dispatcher({ add, plain: (q: unknown) => q });
  assert.deepEqual(d.list(), [
    { name: "add", arity: 2, description: "Adds two numbers", params: ["x", "y"] },
    { name: "plain", arity: 1 },
  ]);
  const doc = buildOpenRpcDocument(d.list(), { title: "t", version: "1" });
  assert.equal(doc.methods[0].description, "Adds two numbers");
  assert.deepEqual(doc.methods[0].params.map((p) => p.name), ["x", "y"]);
  assert.deepEqual(doc.methods[1].params.map((p) => p.name), ["arg0"]);
  assert.equal("description" in doc.methods[1], false);
});
