/**
 * RpcError to JSON-RPC error object and back: the one place both directions are defined,
 * so a farcall client restores exactly the RpcError a farcall server threw.
 *
 *   RpcError code                        error object
 *   -----------------------------------  ---------------------------------------------------
 *   framework code ("METHOD_NOT_FOUND")  its JSON_RPC_CODES number (-32601), data as is
 *   integer number (42, -32602)          that number, data as is
 *   string application code, or a        -32000, data {"code": <the code>, "data"?: <data>}
 *   number that is not a safe integer    ("data" only when the RpcError has data)
 *   the integer -32000 itself, when its  -32000, data {"code": -32000, "data": <data>}, so it
 *   data is shaped like the line above   cannot be misread as a string application code
 *
 * Reading an error object: a number of the JSON_RPC_CODES table becomes its framework code
 * (so a handler's RpcError(-32602) arrives as INVALID_PARAMS); -32000 whose data is an object
 * of exactly "code" (string or number) and optionally "data" becomes RpcError(data.code,
 * message, data.data); any other number is kept with its data. Any other thrown value becomes
 * INTERNAL (-32603) with its message only: stacks never leave the server.
 */
import { APPLICATION_ERROR_CODE, isFrameworkCode, JSON_RPC_CODES, RpcError, type ErrorCode } from "../core/errors.js";
import { hasMember, isJsonObject, type JsonRpcErrorObject } from "./document.js";

const CODE_OF_NUMBER: ReadonlyMap<number, ErrorCode> = new Map(
  (Object.keys(JSON_RPC_CODES) as ErrorCode[]).map((code) => [JSON_RPC_CODES[code], code]),
);

/** True when `data` reads as a wrapped application code (see the table above). */
function isWrappedCode(data: unknown): data is { code: string | number; data?: unknown } {
  if (!isJsonObject(data)) return false;
  const code = data.code;
  if (!hasMember(data, "code") || (typeof code !== "string" && typeof code !== "number")) return false;
  for (const key in data) {
    if (key !== "code" && key !== "data") return false;
  }
  return true;
}

function errorObject(code: number, message: string, data: unknown): JsonRpcErrorObject {
  return data === undefined ? { code, message } : { code, message, data };
}

/** The error object for any thrown value; see the table above. */
export function toErrorObject(thrown: unknown): JsonRpcErrorObject {
  const err = RpcError.from(thrown);
  const { code, message, data } = err;
  if (isFrameworkCode(code)) return errorObject(JSON_RPC_CODES[code], message, data);
  if (typeof code === "number" && Number.isSafeInteger(code) && !(code === APPLICATION_ERROR_CODE && isWrappedCode(data))) {
    return errorObject(code, message, data);
  }
  return { code: APPLICATION_ERROR_CODE, message, data: data === undefined ? { code } : { code, data } };
}

/** The RpcError an error object stands for; see the table above. */
export function fromErrorObject(obj: unknown): RpcError {
  if (!isJsonObject(obj) || typeof obj.code !== "number" || !Number.isInteger(obj.code)) {
    return new RpcError("INTERNAL", "malformed JSON-RPC error object from peer", obj);
  }
  const message = typeof obj.message === "string" ? obj.message : "";
  const data = hasMember(obj, "data") ? obj.data : undefined;
  const framework = CODE_OF_NUMBER.get(obj.code);
  if (framework) return new RpcError(framework, message, data);
  if (obj.code === APPLICATION_ERROR_CODE && isWrappedCode(data)) return new RpcError(data.code, message, data.data);
  return new RpcError(obj.code, message, data);
}
