/**
 * Bounded waits for tests: every await on something that may never happen goes through
 * `within()`, so a broken implementation fails with a message instead of hanging the run.
 */
import assert from "node:assert/strict";
import { RpcError } from "../../src/index.js";

/**
 * Marks `promise` as handled and returns it, for a call whose failure is asserted later:
 * without this, a call that rejects while the test awaits something else is reported as an
 * unhandled rejection.
 */
export function later<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {});
  return promise;
}

/** `promise`, or a rejection naming `what` if it has not settled within `ms`. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: still pending after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The RpcError `promise` rejects with within `ms`. Fails the test if it resolves, rejects
 * with something that is not an RpcError, or is still pending.
 */
export async function rejection(promise: Promise<unknown>, ms: number, what: string): Promise<RpcError> {
  let value: unknown;
  try {
    value = await within(promise, ms, what);
  } catch (err) {
    if (!RpcError.is(err)) throw err;
    return err;
  }
  assert.fail(`${what}: expected a rejection, got ${JSON.stringify(value)}`);
}

/** Asserts that `promise` rejects within `ms` with an RpcError whose code is one of `codes`. */
export async function rejectsWith(promise: Promise<unknown>, codes: string | string[], ms: number, what: string): Promise<RpcError> {
  const err = await rejection(promise, ms, what);
  const expected = typeof codes === "string" ? [codes] : codes;
  assert.ok(expected.includes(String(err.code)), `${what}: expected ${expected.join(" or ")}, got ${String(err.code)}: ${err.message}`);
  return err;
}

/**
 * Waits until `condition()` holds, checking once per event-loop turn (for state that has
 * no event to await, such as a server's connection count), for at most `ms`.
 */
export async function until(ms: number, what: string, condition: () => boolean): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what}: still not so after ${ms} ms`);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
