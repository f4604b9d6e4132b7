import assert from "node:assert/strict";
import os from "node:os";
import { describe, it } from "node:test";
import { Dispatcher } from "../../src/core/dispatcher.js";
import { RpcError } from "../../src/core/errors.js";
import { MAX_NAME_LENGTH } from "../../src/demo/limits.js";
import { createDemoService } from "../../src/demo/service.js";

function isCode(code: string) {
  return (err: unknown) => RpcError.is(err) && err.code === code;
}

describe("createDemoService", () => {
  it("exposes the key-value store, counters, uname, echo, sleep, the account, the shared queue and the origin programs' functions, with their arity", () => {
    const methods = new Dispatcher(createDemoService()).list();
    assert.deepEqual(
      methods.map((m) => `${m.name}(${m.arity})`),
      [
        "account.balance(0)",
        "account.deposit(1)",
        "account.withdraw(1)",
        "add(2)",
        "counter.add(2)",
        "counter.get(1)",
        "counter.inc(1)",
        "delete(1)",
        "divide(2)",
        "echo(1)",
        "get(1)",
        "get_queue(0)",
        "get_uname(0)",
        "inc(1)",
        "keys(0)",
        "multiply(2)",
        "put(2)",
        "queue.get(1)",
        "queue.put(1)",
        "queue.size(0)",
        "search(3)",
        "sleep(1)",
        "subtract(2)",
        "uname(0)",
      ],
    );
  });

  it("every exposed method has a description and named parameters, for introspection", () => {
    const undescribed = new Dispatcher(createDemoService())
      .list()
      .filter((m) => m.description === undefined || m.params === undefined)
      .map((m) => m.name);
    assert.deepEqual(undescribed, []);
  });

  it("account.withdraw declares INSUFFICIENT_FUNDS with its data", () => {
    const withdraw = new Dispatcher(createDemoService()).info("account.withdraw");
    assert.deepEqual(withdraw?.errors, [{ code: "INSUFFICIENT_FUNDS", description: "amount exceeds the balance", dataSchema: { type: "object", properties: { balance: { type: "integer" } }, required: ["balance"] } }]);
  });

  it("each service has its own state", () => {
    const a = createDemoService();
    a.put("k", 1);
    a.counter.inc("c");
    a.account.deposit(5);
    const b = createDemoService();
    assert.equal(b.get("k"), null);
    assert.equal(b.counter.get("c"), 0);
    assert.equal(b.account.balance(), 0);
  });

  describe("key-value store", () => {
    it("get of a missing key is null, as in the origin example", () => {
      assert.equal(createDemoService().get("a"), null);
    });

    it("put then get returns the value; keys lists it; delete removes it", () => {
      const api = createDemoService();
      assert.equal(api.put("a", 10), undefined);
      assert.equal(api.get("a"), 10);
      assert.deepEqual(api.keys(), ["a"]);
      assert.equal(api.delete("a"), true);
      assert.equal(api.delete("a"), false);
      assert.deepEqual(api.keys(), []);
    });

    it("a key that is not a non-empty string is INVALID_PARAMS", () => {
      const api = createDemoService();
      for (const key of [1, "", null, {}]) {
        assert.throws(() => api.get(key as string), isCode("INVALID_PARAMS"));
        assert.throws(() => api.put(key as string, 1), isCode("INVALID_PARAMS"));
        assert.throws(() => api.delete(key as string), isCode("INVALID_PARAMS"));
      }
    });

    it(`a key longer than ${MAX_NAME_LENGTH} characters is INVALID_PARAMS`, () => {
      assert.throws(() => createDemoService().put("k".repeat(MAX_NAME_LENGTH + 1), 1), isCode("INVALID_PARAMS"));
    });
  });

  describe("counters", () => {
    it("counter.get of a new counter is 0, inc and add return the new value", () => {
      const { counter } = createDemoService();
      assert.equal(counter.get("views"), 0);
      assert.equal(counter.inc("views"), 1);
      assert.equal(counter.add("views", 10), 11);
      assert.equal(counter.get("views"), 11);
    });

    it("5 callers x 1000 interleaved increments end at 5000 (the origin example)", async () => {
      const { counter } = createDemoService();
      const caller = async () => {
        for (let i = 0; i < 1000; i++) {
          await Promise.resolve(counter.get("hikakin"));
          await Promise.resolve(counter.inc("hikakin"));
        }
      };
      await Promise.all([caller(), caller(), caller(), caller(), caller()]);
      assert.equal(counter.get("hikakin"), 5000);
    });

    for (const n of [1.5, Number.NaN, Number.POSITIVE_INFINITY, "1", null, 2 ** 53]) {
      it(`counter.add with n of ${String(n)} (${typeof n}) is INVALID_PARAMS`, () => {
        assert.throws(() => createDemoService().counter.add("c", n as number), isCode("INVALID_PARAMS"));
      });
    }
  });

  it("uname names the server's OS type, release and CPU architecture", () => {
    assert.equal(createDemoService().uname(), `${os.type()} ${os.release()} ${os.arch()}`);
  });

  it("echo returns its argument unchanged, whatever it is", () => {
    const api = createDemoService();
    const value = { n: 1n, when: new Date(0), bytes: new Uint8Array([1]), nested: [null, undefined] };
    assert.equal(api.echo(value), value);
    assert.equal(api.echo(undefined), undefined);
  });
});
