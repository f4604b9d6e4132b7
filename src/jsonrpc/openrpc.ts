/**
 * The OpenRPC document (https://spec.open-rpc.org, version 1.2) that `rpc.discover` answers:
 * every exposed method with one parameter per declared JavaScript parameter. Names and the
 * description come from describeMethod() where given; otherwise parameters are named `arg0`,
 * `arg1`, ... A parameter's or the result's schema is the JSON Schema of describeMethod's
 * `input`/`output` where the schema library converts it, else the empty schema (any value).
 * Declared errors (describeMethod's `errors`) are listed as OpenRPC Error Objects with the
 * number an application code travels under (-32000); the farcall code and the JSON Schema
 * of its data sit in `data`, as the code itself sits in an answer's `error.data`.
 */
import type { ErrorInfo, MethodInfo } from "../core/dispatcher.js";
import { APPLICATION_ERROR_CODE } from "../core/errors.js";
import type { JsonSchema } from "../core/json-schema.js";

/** The OpenRPC specification version the document follows. */
export const OPENRPC_VERSION = "1.2.6";

/** The service's `info` object: title and version are required by OpenRPC. */
export interface OpenRpcInfo {
  title: string;
  version: string;
  description?: string;
}

/** A Content Descriptor: a named value with a JSON Schema. */
export interface OpenRpcContentDescriptor {
  name: string;
  schema: JsonSchema;
}

/** An OpenRPC Error Object for a declared application code. */
export interface OpenRpcError {
  code: typeof APPLICATION_ERROR_CODE;
  /** The declaration's description, or the code. */
  message: string;
  data: { code: string; schema?: JsonSchema };
}

export interface OpenRpcMethod {
  name: string;
  description?: string;
  params: OpenRpcContentDescriptor[];
  result: OpenRpcContentDescriptor;
  errors?: OpenRpcError[];
  /**
   * Always by-position: named params reach a farcall handler as one object argument,
   * which is not OpenRPC's meaning of by-name.
   */
  paramStructure: "by-position";
}

export interface OpenRpcDocument {
  openrpc: typeof OPENRPC_VERSION;
  info: OpenRpcInfo;
  methods: OpenRpcMethod[];
}

/** The OpenRPC document listing `methods` (as the dispatcher lists them) under `info`. */
export function buildOpenRpcDocument(methods: readonly MethodInfo[], info: OpenRpcInfo): OpenRpcDocument {
  const outInfo: OpenRpcInfo = { title: info.title, version: info.version };
  if (info.description !== undefined) outInfo.description = info.description;
  return {
    openrpc: OPENRPC_VERSION,
    info: outInfo,
    methods: methods.map(({ name, arity, description, params, paramSchemas, resultSchema, errors }) => ({
      name,
      ...(description !== undefined ? { description } : {}),
      params: Array.from({ length: params?.length ?? paramSchemas?.length ?? arity }, (_, i) => ({ name: params?.[i] ?? `arg${i}`, schema: paramSchemas?.[i] ?? {} })),
      result: { name: "result", schema: resultSchema ?? {} },
      ...(errors !== undefined ? { errors: errors.map(openRpcError) } : {}),
      paramStructure: "by-position" as const,
    })),
  };
}

function openRpcError({ code, description, dataSchema }: ErrorInfo): OpenRpcError {
  return { code: APPLICATION_ERROR_CODE, message: description ?? code, data: dataSchema !== undefined ? { code, schema: dataSchema } : { code } };
}

/** The declared errors of an OpenRPC method as listMethods() answers them (farcall's own documents only). */
export function errorInfosOf(errors: readonly OpenRpcError[] | undefined): ErrorInfo[] | undefined {
  const out: ErrorInfo[] = [];
  for (const e of errors ?? []) {
    const code = (e.data as { code?: unknown } | undefined)?.code;
    if (typeof code !== "string") continue;
    const info: ErrorInfo = { code };
    if (typeof e.message === "string" && e.message !== code) info.description = e.message;
    if (typeof e.data.schema === "object" && e.data.schema !== null) info.dataSchema = e.data.schema;
    out.push(info);
  }
  return out.length > 0 ? out : undefined;
}
