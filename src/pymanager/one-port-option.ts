/**
 * The `pymanager` option of a one-port listen entry and its check, apart from the entry
 * itself so that resolving serve()'s options does not load the manager's server and pickle
 * code.
 */

/** The `pymanager` option of a one-port listen entry. */
export interface PyManagerOnPort {
  /** How long a connection must stay silent to be taken for a Python manager client (1 to 10000 ms). */
  silenceMs: number;
}

/** The checked `pymanager` option of listen entry `name`. */
export function checkPyManagerOnPort(value: unknown, name: string): PyManagerOnPort {
  const silenceMs = (value as { silenceMs?: unknown } | null)?.silenceMs;
  if (typeof value !== "object" || value === null || typeof silenceMs !== "number" || !Number.isSafeInteger(silenceMs) || silenceMs < 1 || silenceMs > 10_000) {
    throw new RangeError(`${name}: pymanager must be { silenceMs } with silenceMs an integer from 1 to 10000, got ${JSON.stringify(value)}`);
  }
  return { silenceMs };
}
