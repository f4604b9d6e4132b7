/**
 * The checks every option block shares (serve(), connect(), the handlers, NATS's own), in a
 * module that imports nothing, so any options module may use it without an import cycle.
 */

/** Throws RangeError naming `name` unless `value` is an integer in [min, max]. */
export function checkInteger(name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}, got ${value}`);
  }
  return value;
}

/** Throws TypeError naming `name` unless `value` is a boolean. */
export function checkBoolean(name: string, value: unknown): boolean {
  if (typeof value !== "boolean") throw new TypeError(`${name} must be true or false, got ${JSON.stringify(value)}`);
  return value;
}
