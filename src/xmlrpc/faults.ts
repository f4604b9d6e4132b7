/**
 * RpcError to XML-RPC fault struct and back. faultCode is an int, so codes are the
 * JSON-RPC numbers (xmlrpc-epi's fault code interoperability table uses the same ones):
 *
 *   RpcError code                          fault struct
 *   -------------------------------------  ------------------------------------------------
 *   framework code ("METHOD_NOT_FOUND")    faultCode -32601, faultString the message
 *   a 32-bit integer (4, -32602)           faultCode that number
 *   a string application code, or a       faultCode -32000, plus a member farcallCode
 *   number that is not a 32-bit integer    holding the code
 *   any of them with data                  plus a member farcallData (left out when XML-RPC
 *                                          cannot carry it)
 *
 * Extra members are allowed by Python's Fault(faultCode, faultString, **extra) and ignored
 * by other clients; farcall's client reads them back, so an RpcError thrown by a farcall
 * handler arrives as the same code. Reading a fault: a number of the JSON-RPC table becomes
 * its framework code; -32000 with a farcallCode becomes that code; anything else (Python's
 * Fault(1, ...), Flask's string codes) is kept as it came.
 */
import { APPLICATION_ERROR_CODE, isFrameworkCode, JSON_RPC_CODES, RpcError, type ErrorCode } from "../core/errors.js";
import { isInt32 } from "./scalars.js";

/** The fault struct members farcall writes. */
export interface FaultStruct {
  faultCode: number;
  faultString: string;
  farcallCode?: string | number;
  farcallData?: unknown;
}

const CODE_OF_NUMBER: ReadonlyMap<number, ErrorCode> = new Map(
  (Object.keys(JSON_RPC_CODES) as ErrorCode[]).map((code) => [JSON_RPC_CODES[code], code]),
);

/** The fault struct for any thrown value (not an RpcError: INTERNAL with its message). */
export function toFault(thrown: unknown): FaultStruct {
  const { code, message, data } = RpcError.from(thrown);
  let fault: FaultStruct;
  if (isFrameworkCode(code)) fault = { faultCode: JSON_RPC_CODES[code], faultString: message };
  else if (typeof code === "number" && isInt32(code) && code !== APPLICATION_ERROR_CODE) fault = { faultCode: code, faultString: message };
  else fault = { faultCode: APPLICATION_ERROR_CODE, faultString: message, farcallCode: code };
  if (data !== undefined) fault.farcallData = data;
  return fault;
}

/** The RpcError a fault value stands for; see the header. */
export function fromFault(value: unknown): RpcError {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return new RpcError("INTERNAL", "malformed XML-RPC fault from the server: not a struct", value);
  }
  const f = value as Record<string, unknown>;
  const message = typeof f.faultString === "string" ? f.faultString : String(f.faultString ?? "");
  const data = Object.hasOwn(f, "farcallData") ? f.farcallData : undefined;
  const code = f.faultCode;
  if (typeof code === "number") {
    const framework = CODE_OF_NUMBER.get(code);
    if (framework) return new RpcError(framework, message, data);
    const carried = f.farcallCode;
    if (code === APPLICATION_ERROR_CODE && (typeof carried === "string" || typeof carried === "number")) return new RpcError(carried, message, data);
    return new RpcError(code, message, data);
  }
  if (typeof code === "string") return new RpcError(code, message, data);
  return new RpcError("INTERNAL", `malformed XML-RPC fault from the server: faultCode is ${typeof code}: ${message}`);
}
