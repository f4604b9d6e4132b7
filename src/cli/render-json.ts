/**
 * How `farcall call` prints a result: as JSON, so it can be piped to other tools. farcall
 * values JSON cannot hold are printed as the closest JSON:
 *
 * | value                         | printed as                                        |
 * |-------------------------------|---------------------------------------------------|
 * | BigInt                        | its decimal digits, as a string: `"12345678901234567890"` |
 * | Map                           | an object when every key is a string, else an array of `[key, value]` entries |
 * | Set                           | an array                                          |
 * | Uint8Array (and Buffer)       | base64, as a string                               |
 * | Date                          | ISO 8601, as a string                             |
 * | undefined                     | null                                              |
 * | NaN, Infinity, -Infinity      | `"NaN"`, `"Infinity"`, `"-Infinity"` (strings)    |
 * | Error                         | `{ "name", "message" }` plus its `code` and `data`, if any |
 */

/** `value` as JSON text (no trailing newline), indented by `indent` spaces, 0 for one line. */
export function renderJson(value: unknown, indent = 2): string {
  // Top-level undefined (a method that returns nothing) prints as null, like everywhere else.
  return JSON.stringify(value, replacer, indent) ?? "null";
}

// A `function` so JSON.stringify passes the holder as `this`: `this[key]` is the value before
// its own toJSON ran, which is how a Buffer or a Date is still recognised here.
function replacer(this: unknown, key: string, value: unknown): unknown {
  const raw = (this as Record<string, unknown>)[key];
  if (raw instanceof Uint8Array) return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString("base64");
  if (raw instanceof Date) return Number.isNaN(raw.getTime()) ? null : raw.toISOString();
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  if (value instanceof Map) return mapToJson(value);
  if (value instanceof Set) return [...value];
  if (value instanceof Error) return errorToJson(value);
  return value;
}

function mapToJson(map: Map<unknown, unknown>): unknown {
  for (const key of map.keys()) {
    if (typeof key !== "string") return [...map.entries()];
  }
  return Object.fromEntries(map);
}

function errorToJson(err: Error): Record<string, unknown> {
  const out: Record<string, unknown> = { name: err.name, message: err.message };
  const { code, data } = err as { code?: unknown; data?: unknown };
  if (code !== undefined) out.code = code;
  if (data !== undefined) out.data = data;
  return out;
}
