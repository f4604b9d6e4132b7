/**
 * Argument checks of the demo service. Remote callers send anything the codec can carry, so
 * every exposed method checks its arguments and answers INVALID_PARAMS naming the value.
 */
import type { StandardJSONSchemaV1, StandardSchemaV1 } from "@standard-schema/spec";
import { RpcError } from "../core/errors.js";
import { MAX_NAME_LENGTH } from "./limits.js";

/** `value` as a key or counter name: a non-empty string of at most MAX_NAME_LENGTH. */
export function requireName(value: unknown, what: string): string {
  if (typeof value !== "string" || value.length === 0) {
    throw new RpcError("INVALID_PARAMS", `${what} must be a non-empty string, got ${describe(value)}`);
  }
  if (value.length > MAX_NAME_LENGTH) {
    throw new RpcError("INVALID_PARAMS", `${what} of ${value.length} characters exceeds ${MAX_NAME_LENGTH}`);
  }
  return value;
}

/** `value` as an integer that arithmetic keeps exact (|n| <= 2^53 - 1). */
export function requireSafeInteger(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value)) {
    throw new RpcError("INVALID_PARAMS", `${what} must be a finite integer, got ${describe(value)}`);
  }
  return value;
}

/** A short, safe rendering of a rejected argument for an error message. */
export function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return `${typeof value} ${String(value)}`;
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : typeof value;
}

/**
 * A Standard Schema (https://standardschema.dev) for `{ balance }`, the data of the demo
 * account's INSUFFICIENT_FUNDS: written out, as the demo depends on no schema library, with
 * its JSON Schema so introspection can show it.
 */
export const balanceData: StandardSchemaV1<{ balance: number }> & StandardJSONSchemaV1<{ balance: number }> = {
  "~standard": {
    version: 1,
    vendor: "farcall-demo",
    validate: (value) =>
      typeof value === "object" && value !== null && Number.isSafeInteger((value as { balance?: unknown }).balance)
        ? { value: { balance: (value as { balance: number }).balance } }
        : { issues: [{ message: `expected { balance: integer }, got ${describe(value)}` }] },
    jsonSchema: {
      input: () => BALANCE_JSON_SCHEMA,
      output: () => BALANCE_JSON_SCHEMA,
    },
  },
};

const BALANCE_JSON_SCHEMA = { type: "object", properties: { balance: { type: "integer" } }, required: ["balance"] };
