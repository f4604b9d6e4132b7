import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RpcError } from "../../src/core/errors.js";
import { formatRemoteError } from "../../src/cli/connect-remote.js";
import { renderJson } from "../../src/cli/render-json.js";

describe("renderJson", () => {
  it("prints JSON values as indented JSON", () => {
    assert.equal(renderJson({ a: [1, "x", null] }), '{\n  "a": [\n    1,\n    "x",\n    null\n  ]\n}');
    assert.equal(renderJson({ a: 1 }, 0), '{"a":1}');
  });

  it("prints undefined (a method that returns nothing) as null", () => {
    assert.equal(renderJson(undefined), "null");
    assert.equal(renderJson([undefined], 0), "[null]");
  });

  it("prints a BigInt as its decimal digits, in a string", () => {
    assert.equal(renderJson(12345678901234567890n), '"12345678901234567890"');
    assert.equal(renderJson({ n: -1n }, 0), '{"n":"-1"}');
  });

  it("prints a Map with string keys as an object, any other Map as [key, value] entries", () => {
    assert.equal(renderJson(new Map([["a", 1], ["b", 2]]), 0), '{"a":1,"b":2}');
    assert.equal(renderJson(new Map<unknown, unknown>([[1, "one"], ["two", 2]]), 0), '[[1,"one"],["two",2]]');
  });

  it("prints a Set as an array", () => {
    assert.equal(renderJson(new Set([1, 2]), 0), "[1,2]");
  });

  it("prints a Uint8Array, and a Buffer, as base64", () => {
    assert.equal(renderJson(new Uint8Array([104, 105]), 0), '"aGk="');
    assert.equal(renderJson({ b: Buffer.from("hi") }, 0), '{"b":"aGk="}');
    assert.equal(renderJson(new Uint8Array(new Uint8Array([0, 104, 105]).buffer, 1, 2), 0), '"aGk="', "a view prints its own bytes only");
  });

  it("prints a Date as ISO 8601", () => {
    assert.equal(renderJson(new Date(0), 0), '"1970-01-01T00:00:00.000Z"');
  });

  it("prints NaN and the infinities as strings rather than losing them to null", () => {
    assert.equal(renderJson([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY], 0), '["NaN","Infinity","-Infinity"]');
  });

  it("prints an Error as its name and message, with its code and data when it has them", () => {
    assert.equal(renderJson(new RpcError("NOPE", "no", { id: 1 }), 0), '{"name":"RpcError","message":"no","code":"NOPE","data":{"id":1}}');
    assert.equal(renderJson(new TypeError("bad"), 0), '{"name":"TypeError","message":"bad"}');
  });
});

describe("formatRemoteError", () => {
  it("is CODE: message", () => {
    assert.equal(formatRemoteError(new RpcError("METHOD_NOT_FOUND", 'no method "x"')), 'METHOD_NOT_FOUND: no method "x"');
  });

  it("adds the error's data as one line of JSON", () => {
    assert.equal(formatRemoteError(new RpcError("INSUFFICIENT_FUNDS", "too much", { balance: 5n })), 'INSUFFICIENT_FUNDS: too much\ndata: {"balance":"5"}');
  });
});
