/**
 * A remote object: the server exposes an instance of a class, and the client calls its
 * methods without ever building one. The instance's state stays on the server, in private
 * `#fields`, which are never exposed; only its methods are.
 *
 * Run: node --import tsx examples/account.ts
 */
import { close, connect, RpcError, serve } from "../src/index.js";

/** Amounts are whole cents: binary fractions cannot hold 0.10 exactly. */
class Account {
  #balance = 0;

  deposit(amount: number): number {
    this.#balance += amount;
    return this.#balance;
  }

  withdraw(amount: number): number {
    if (amount > this.#balance) {
      // An RpcError reaches the caller with its code and data intact.
      throw new RpcError("INSUFFICIENT_FUNDS", `cannot withdraw ${amount}: the balance is ${this.#balance}`, { balance: this.#balance });
    }
    this.#balance -= amount;
    return this.#balance;
  }

  balance(): number {
    return this.#balance;
  }
}

// Nested objects and class instances become namespaces: remote.account.deposit(...).
const api = { account: new Account() };
export type BankApi = typeof api;

const server = await serve(api, { listen: "tcp://127.0.0.1:0" });
const remote = await connect<BankApi>(server.addresses[0]!);

console.log("deposit 100 ->", await remote.account.deposit(100));
console.log("withdraw 30 ->", await remote.account.withdraw(30));
try {
  await remote.account.withdraw(500);
} catch (err) {
  // Branch on the code, never on the message text.
  if (!(err instanceof RpcError) || err.code !== "INSUFFICIENT_FUNDS") throw err;
  console.log(`withdraw 500 -> ${err.code}, balance still ${(err.data as { balance: number }).balance}`);
}
console.log("balance ->", await remote.account.balance());

await close(remote);
await server.close();
