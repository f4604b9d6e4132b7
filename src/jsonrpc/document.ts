/**
 * The documents of JSON-RPC 2.0 (https://www.jsonrpc.org/specification): request,
 * notification, response and error objects, and the checks shared by the server and client
 * sides.
 */

/** The value of every document's `"jsonrpc"` member. */
export const JSONRPC_VERSION = "2.0";

/** A request id: a string, a number (echoed exactly, fractions included) or null. */
export type JsonRpcId = string | number | null;

/** The `"error"` member of a failed response. */
export interface JsonRpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

/** A call (with `id`) or a notification (without). */
export interface JsonRpcRequest {
  jsonrpc: typeof JSONRPC_VERSION;
  method: string;
  /** Positional (an array) or named (an object); absent for no arguments. */
  params?: unknown[] | Record<string, unknown>;
  id?: JsonRpcId;
}

export interface JsonRpcSuccess {
  jsonrpc: typeof JSONRPC_VERSION;
  result: unknown;
  id: JsonRpcId;
}

export interface JsonRpcFailure {
  jsonrpc: typeof JSONRPC_VERSION;
  error: JsonRpcErrorObject;
  id: JsonRpcId;
}

export type JsonRpcResponse = JsonRpcSuccess | JsonRpcFailure;

/**
 * True for an id the specification allows. A non-finite number is refused: it cannot be
 * written back as JSON, so it could not be echoed exactly.
 */
export function isJsonRpcId(v: unknown): v is JsonRpcId {
  return v === null || typeof v === "string" || (typeof v === "number" && Number.isFinite(v));
}

/** True for a JSON object: not null, not an array. */
export function isJsonObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** `obj` has `key` as its own member (never one inherited, such as `constructor`). */
export function hasMember(obj: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}
