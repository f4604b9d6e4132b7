/**
 * The argument count a function declares, read from its source (src/core/param-count.ts):
 * what the call pipeline checks calls against when a method has no schema.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { declaredParamCount } from "../../src/core/param-count.js";

test("plain parameters are all required and are the most a call may pass", () => {
  assert.deepEqual(declaredParamCount((a: number, b: number) => a + b), { min: 2, max: 2 });
  assert.deepEqual(declaredParamCount(function add(a: number, b: number) { return a + b; }), { min: 2, max: 2 });
  assert.deepEqual(declaredParamCount(async (a: number) => a), { min: 1, max: 1 });
  assert.deepEqual(declaredParamCount(() => 1), { min: 0, max: 0 });
  assert.deepEqual(declaredParamCount(new Function("x", "return x") as () => unknown), { min: 1, max: 1 });
});

test("an arrow function without parentheses takes exactly one argument", () => {
  assert.deepEqual(declaredParamCount(new Function("return x => x")() as Function), { min: 1, max: 1 });
  assert.deepEqual(declaredParamCount(new Function("return async x => x")() as Function), { min: 1, max: 1 });
});

test("a class method is read from its own parameter list", () => {
  class Account {
    deposit(amount: number, note: string) { return [amount, note]; }
    async *watch(key: string) { yield key; }
  }
  assert.deepEqual(declaredParamCount(Account.prototype.deposit), { min: 2, max: 2 });
  assert.deepEqual(declaredParamCount(Account.prototype.watch), { min: 1, max: 1 });
});

test("parameters from the first default on are optional", () => {
  assert.deepEqual(declaredParamCount((a: number, b = 2, c = "x,y") => [a, b, c]), { min: 1, max: 3 });
  assert.deepEqual(declaredParamCount((a: number, b = [1, 2], c = { d: (e: number) => e }) => [a, b, c]), { min: 1, max: 3 });
});

test("destructured parameters count once each", () => {
  assert.deepEqual(declaredParamCount(({ a, b }: { a: number; b: number }, [c, d]: number[]) => a + b + c! + d!), { min: 2, max: 2 });
});

test("a rest parameter makes the count unbounded", () => {
  assert.deepEqual(declaredParamCount((a: number, ...rest: number[]) => [a, rest]), { min: 1, max: Number.POSITIVE_INFINITY });
  assert.deepEqual(declaredParamCount((...rest: number[]) => rest), { min: 0, max: Number.POSITIVE_INFINITY });
});

test("comments and strings in the parameter list do not count", () => {
  assert.deepEqual(declaredParamCount(new Function("return function (a /* , b */, c = ')', // d,\n e) {}")() as Function), { min: 1, max: 3 });
});

test("what the source cannot say for sure is unknown, so never checked", () => {
  assert.equal(declaredParamCount(Math.max), undefined, "native");
  assert.equal(declaredParamCount(((a: number) => a).bind(null)), undefined, "bound");
  assert.equal(declaredParamCount(function sum() { return [...arguments].length; }), undefined, "reads arguments");
  assert.equal(declaredParamCount(new Function("return (a = /[)]/) => a")() as Function), undefined, "regular expression");
  assert.equal(declaredParamCount(new Function("return (a = `)`) => a")() as Function), undefined, "template");
  assert.equal(declaredParamCount(new Proxy(() => 1, {})), undefined, "proxy");
});
