import assert from "node:assert/strict";
import os from "node:os";
import { describe, it } from "node:test";
import { RpcError } from "../../src/core/errors.js";
import { methodDoc } from "../../src/core/method-doc.js";
import { createDemoService } from "../../src/demo/service.js";

function isCode(code: string) {
  return (err: unknown) => RpcError.is(err) && err.code === code;
}

describe("the origin programs' functions in the demo service", () => {
  it("add, subtract, multiply and divide answer as xmlrpc_server.py does on (7, 3)", () => {
    const s = createDemoService();
    assert.deepEqual([s.add(7, 3), s.subtract(7, 3), s.multiply(7, 3), s.divide(7, 3)], [10, 4, 21, 7 / 3]);
  });

  it("division by zero is INVALID_PARAMS naming the division, never Infinity", () => {
    assert.throws(() => createDemoService().divide(7, 0), (e: unknown) => isCode("INVALID_PARAMS")(e) && /divide\(7, 0\): division by zero/.test((e as Error).message));
  });

  it("arithmetic on a non-number, or past the double range, is INVALID_PARAMS", () => {
    const s = createDemoService();
    assert.throws(() => s.add("7" as unknown as number, 3), isCode("INVALID_PARAMS"));
    assert.throws(() => s.multiply(1e308, 10), isCode("INVALID_PARAMS"));
  });

  it("divide is described as answering a double, so 6 / 3 goes to XML-RPC as 2.0", () => {
    assert.equal(methodDoc(createDemoService().divide)?.returns, "double");
  });

  it("search by name (one object, as JSON-RPC named params arrive) finds the matching rows", () => {
    const found = createDemoService().search({ last_name: "Python" });
    assert.deepEqual(found.map((p) => p.first_name), ["Guido", "Monty"]);
    assert.deepEqual(Object.keys(found[0]!), ["id", "last_name", "first_name", "number"]);
  });

  it("search by position combines every criterion given; none lists the whole table", () => {
    const s = createDemoService();
    assert.deepEqual(s.search(null, "Python", "Guido").map((p) => p.id), [1]);
    assert.deepEqual(s.search("555-0102").map((p) => p.first_name), ["Grace"]);
    assert.equal(s.search().length, 4);
    assert.deepEqual(s.search({ last_name: "Nobody" }), []);
  });

  it("search refuses an unknown parameter name and a criterion that is not a string", () => {
    const s = createDemoService();
    assert.throws(() => s.search({ surname: "Python" } as never), (e: unknown) => isCode("INVALID_PARAMS")(e) && /"surname"/.test((e as Error).message));
    assert.throws(() => s.search(42 as never), isCode("INVALID_PARAMS"));
  });

  it("search answers copies: changing a row changes nothing on the server", () => {
    const s = createDemoService();
    s.search({ first_name: "Ada" })[0]!.last_name = "Changed";
    assert.equal(s.search({ first_name: "Ada" })[0]!.last_name, "Lovelace");
  });

  it("inc counts from 0 on a missing key and shares the store with get and put (both manager seeds)", () => {
    const s = createDemoService();
    assert.equal(s.get("hikakin"), null);
    assert.equal(s.inc("hikakin"), 1);
    assert.equal(s.inc("hikakin"), 2);
    assert.equal(s.get("hikakin"), 2);
    s.put("n", 41);
    assert.equal(s.inc("n"), 42);
  });

  it("inc of a key holding something other than a safe integer is INVALID_PARAMS and leaves it", () => {
    const s = createDemoService();
    s.put("a", "ten");
    assert.throws(() => s.inc("a"), (e: unknown) => isCode("INVALID_PARAMS")(e) && /"a".*"ten"/.test((e as Error).message));
    assert.equal(s.get("a"), "ten");
    s.put("big", Number.MAX_SAFE_INTEGER);
    assert.throws(() => s.inc("big"), isCode("INVALID_PARAMS"));
  });

  it("get_uname is str(os.uname()) as Python prints it", () => {
    assert.equal(createDemoService().get_uname(), `posix.uname_result(sysname='${os.type()}', nodename='${os.hostname()}', release='${os.release()}', version='${os.version()}', machine='${os.machine()}')`);
  });
});
