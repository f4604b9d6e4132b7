/**
 * XML-RPC introspection (the system.listMethods / methodHelp / methodSignature convention
 * Python's SimpleXMLRPCServer, xmlrpc-c and Apache implement), read from the method table
 * and from what describeMethod() attached to each method: its params' and result's types,
 * or else the JSON Schema types of its input and output Standard Schemas.
 */
import type { Dispatcher } from "../core/dispatcher.js";
import { RpcError } from "../core/errors.js";
import type { JsonSchema } from "../core/json-schema.js";
import { methodDoc } from "../core/method-doc.js";

export const LIST_METHODS = "system.listMethods";
export const METHOD_HELP = "system.methodHelp";
export const METHOD_SIGNATURE = "system.methodSignature";
export const MULTICALL = "system.multicall";

/** What system.methodSignature answers when a method's types are not known (as xmlrpc-c does). */
export const UNKNOWN_SIGNATURE = "undef";

/** The built-in methods: their help and their one signature (result type first). */
const SYSTEM: ReadonlyMap<string, { help: string; signature: string[] }> = new Map([
  [LIST_METHODS, { help: "The names of every method this server answers.", signature: ["array"] }],
  [METHOD_HELP, { help: "The description of the named method, or an empty string.", signature: ["string", "string"] }],
  [METHOD_SIGNATURE, { help: `The signatures of the named method, each an array of type names with the result first; "${UNKNOWN_SIGNATURE}" when they are not known.`, signature: ["array", "string"] }],
  [MULTICALL, { help: "Runs an array of {methodName, params} calls in order; answers [result] or a fault struct for each.", signature: ["array", "array"] }],
]);

/** True for the names this module answers. */
export function isIntrospection(method: string): boolean {
  return method === LIST_METHODS || method === METHOD_HELP || method === METHOD_SIGNATURE;
}

function docOf(dispatcher: Dispatcher, name: unknown) {
  if (typeof name !== "string") throw new RpcError("INVALID_PARAMS", "expected a method name (a string)");
  const entry = dispatcher.lookup(name);
  if (!entry) throw new RpcError("METHOD_NOT_FOUND", `no method ${JSON.stringify(name)}`);
  return methodDoc(entry.fn);
}

/** Answers one introspection call. */
export function introspect(dispatcher: Dispatcher, method: string, args: readonly unknown[]): unknown {
  if (method === LIST_METHODS) return [...dispatcher.list().map((m) => m.name), ...SYSTEM.keys()].sort();
  const name = args[0];
  const system = typeof name === "string" ? SYSTEM.get(name) : undefined;
  if (method === METHOD_HELP) return system ? system.help : (docOf(dispatcher, name)?.description ?? "");
  if (system) return [system.signature];
  const doc = docOf(dispatcher, name);
  const info = dispatcher.info(name as string)!;
  const count = doc?.params?.length ?? info.paramSchemas?.length;
  if (count === undefined) return UNKNOWN_SIGNATURE;
  const types = Array.from({ length: count }, (_, i) => doc?.params?.[i]?.type ?? xmlRpcTypeOf(info.paramSchemas?.[i]));
  const returns = doc?.returns ?? xmlRpcTypeOf(info.resultSchema);
  if (returns === undefined || types.some((t) => t === undefined)) return UNKNOWN_SIGNATURE;
  return [[returns, ...(types as string[])]];
}

/** XML-RPC's name for a JSON Schema's type (a method's Standard Schema), when it has exactly one. */
const XML_RPC_TYPES: Readonly<Record<string, string>> = { integer: "int", number: "double", string: "string", boolean: "boolean", array: "array", object: "struct", null: "nil" };

function xmlRpcTypeOf(schema: JsonSchema | undefined): string | undefined {
  const type = schema?.type;
  return typeof type === "string" ? XML_RPC_TYPES[type] : undefined;
}
