/**
 * A bank account exposed as a remote object: the caller never builds one, it calls the
 * server's instance (the remote class object of the origin examples). Its state lives in a
 * private `#field`, which is not a property and so is never exposed; only the prototype
 * methods are.
 */
import { RpcError } from "../core/errors.js";
import { describe } from "./validate.js";

/**
 * An account holding a balance in the currency's smallest unit (cents): amounts are positive
 * safe integers, because binary fractions cannot hold 0.10 exactly and balances must add up.
 */
export class Account {
  #balance = 0;

  /** Adds `amount` and returns the new balance. */
  deposit(amount: number): number {
    const next = this.#balance + requireAmount(amount);
    if (!Number.isSafeInteger(next)) {
      throw new RpcError("INVALID_PARAMS", `a deposit of ${amount} would take the balance past the safe-integer range`, { balance: this.#balance });
    }
    this.#balance = next;
    return next;
  }

  /**
   * Takes `amount` out and returns the new balance.
   * @throws RpcError INSUFFICIENT_FUNDS, with `data: { balance }`, when `amount` exceeds the balance.
   */
  withdraw(amount: number): number {
    requireAmount(amount);
    if (amount > this.#balance) {
      throw new RpcError("INSUFFICIENT_FUNDS", `cannot withdraw ${amount}: the balance is ${this.#balance}`, { balance: this.#balance });
    }
    this.#balance -= amount;
    return this.#balance;
  }

  /** The current balance. */
  balance(): number {
    return this.#balance;
  }
}

function requireAmount(value: unknown): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value <= 0) {
    throw new RpcError("INVALID_PARAMS", `amount must be a positive integer (smallest currency unit), got ${describe(value)}`);
  }
  return value;
}
