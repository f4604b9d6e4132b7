/**
 * `sleep(ms)`: a slow call to try deadlines and cancellation with. It waits on the call's own
 * signal, so a caller that gives up (cancel, deadline, disconnect) frees the timer at once
 * instead of leaving it to run out on the server.
 */
import { setTimeout as delay } from "node:timers/promises";
import { context } from "../core/context.js";
import { RpcError } from "../core/errors.js";
import { MAX_SLEEP_MS } from "./limits.js";
import { describe } from "./validate.js";

/**
 * Resolves after `ms` milliseconds (0 to one hour).
 * @throws RpcError INVALID_PARAMS for any other `ms`; CANCELLED when the call's signal aborts.
 */
export async function sleep(ms: number): Promise<void> {
  if (typeof ms !== "number" || !(ms >= 0 && ms <= MAX_SLEEP_MS)) {
    throw new RpcError("INVALID_PARAMS", `ms must be a number from 0 to ${MAX_SLEEP_MS}, got ${describe(ms)}`);
  }
  const { signal } = context();
  try {
    // The built-in timer clears itself when the signal aborts.
    await delay(ms, undefined, { signal });
  } catch (err) {
    if (!signal.aborted) throw err;
    const why = RpcError.is(signal.reason) ? `: ${signal.reason.message}` : "";
    throw new RpcError("CANCELLED", `sleep(${ms}) was cancelled${why}`, undefined, { cause: signal.reason });
  }
}
