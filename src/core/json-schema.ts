/**
 * JSON Schema for a method's Standard Schemas, for the documents that describe a service
 * (OpenRPC, XML-RPC signatures, `farcall list`). It comes from the schema library's own
 * converter through the Standard JSON Schema interface (`~standard.jsonSchema`, which zod 4
 * implements); farcall writes no converter of its own, so a library without one, or a schema
 * its converter refuses (a transform, say), is described as any value.
 */
import type { StandardJSONSchemaV1, StandardSchemaV1 } from "@standard-schema/spec";

/** A JSON Schema document, as a plain object. */
export type JsonSchema = Record<string, unknown>;

/** OpenRPC 1.2 describes values with JSON Schema draft 7. */
const TARGET = "draft-07";

/** The JSON Schema of what `schema` accepts (`io` "input") or produces ("output"), or undefined when its library cannot say. */
export function jsonSchemaOf(schema: StandardSchemaV1, io: "input" | "output"): JsonSchema | undefined {
  const converter = (schema["~standard"] as Partial<StandardJSONSchemaV1.Props>).jsonSchema;
  if (typeof converter?.[io] !== "function") return undefined;
  try {
    const { $schema: _dialect, ...rest } = converter[io]({ target: TARGET });
    return rest;
  } catch {
    // The library cannot express this schema in JSON Schema: it is described as any value.
    return undefined;
  }
}

/** A short type name for a JSON Schema ("number", "string | null"), or undefined when it has no simple one. */
export function typeNameOf(schema: JsonSchema | undefined): string | undefined {
  if (schema === undefined) return undefined;
  const type = schema.type;
  if (typeof type === "string") return type;
  if (Array.isArray(type) && type.every((t) => typeof t === "string")) return type.join(" | ");
  const union = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(union)) {
    const names = union.map((s) => typeNameOf(s as JsonSchema));
    if (names.every((n) => n !== undefined)) return names.join(" | ");
  }
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => JSON.stringify(v)).join(" | ");
  if ("const" in schema) return JSON.stringify(schema.const);
  return undefined;
}
