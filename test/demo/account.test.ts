import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RpcError } from "../../src/core/errors.js";
import { Dispatcher } from "../../src/core/dispatcher.js";
import { Account } from "../../src/demo/account.js";

function isCode(code: string) {
  return (err: unknown) => RpcError.is(err) && err.code === code;
}

describe("Account", () => {
  it("a new account has a balance of 0", () => {
    assert.equal(new Account().balance(), 0);
  });

  it("deposit and withdraw return the new balance", () => {
    const account = new Account();
    assert.equal(account.deposit(100), 100);
    assert.equal(account.withdraw(30), 70);
    assert.equal(account.balance(), 70);
  });

  it("withdrawing more than the balance throws INSUFFICIENT_FUNDS with the balance as data, and changes nothing", () => {
    const account = new Account();
    account.deposit(50);
    assert.throws(
      () => account.withdraw(80),
      (err: unknown) => RpcError.is(err) && err.code === "INSUFFICIENT_FUNDS" && (err.data as { balance: number }).balance === 50,
    );
    assert.equal(account.balance(), 50);
  });

  for (const amount of [0, -5, 1.5, Number.NaN, Number.POSITIVE_INFINITY, "10", null]) {
    it(`an amount of ${String(amount)} (${typeof amount}) is INVALID_PARAMS`, () => {
      const account = new Account();
      assert.throws(() => account.deposit(amount as number), isCode("INVALID_PARAMS"));
      assert.throws(() => account.withdraw(amount as number), isCode("INVALID_PARAMS"));
    });
  }

  it("a deposit that would leave the safe-integer range is INVALID_PARAMS", () => {
    const account = new Account();
    account.deposit(Number.MAX_SAFE_INTEGER);
    assert.throws(() => account.deposit(1), isCode("INVALID_PARAMS"));
  });

  it("exposes exactly deposit, withdraw and balance: the private balance field is not reachable", () => {
    const names = new Dispatcher({ account: new Account() }).list().map((m) => m.name);
    assert.deepEqual(names, ["account.balance", "account.deposit", "account.withdraw"]);
  });
});
