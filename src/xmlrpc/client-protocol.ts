/**
 * XML-RPC, client side: methodCall documents out, outcomes in. Several calls travel as one
 * `system.multicall`, each answered by `[result]` or a fault struct, in order. Pure, like
 * jsonrpc-client.ts; faults are rebuilt by xmlrpc-faults.ts, so an RpcError thrown by a
 * farcall server arrives with its code.
 */
import { RpcError } from "../core/errors.js";
import { decodeXmlRpc, type XmlRpcDecodeLimits } from "./decode.js";
import { arrayOfValues, encodeValue, methodCallDocument } from "./encode.js";
import { fromFault } from "./faults.js";
import { MULTICALL } from "./introspection.js";

/** How one call ended. */
export type XmlRpcOutcome = { ok: true; value: unknown } | { ok: false; error: RpcError };

/** One call of a multicall: its encoded `{methodName, params}` struct, or why it cannot be sent. */
export type MulticallElement = { ok: true; xml: string } | { ok: false; error: RpcError };

/** The encoded element for `method(...args)`; a value XML-RPC cannot carry fails it alone (INVALID_PARAMS). */
export function multicallElement(method: string, args: readonly unknown[], maxDepth: number): MulticallElement {
  try {
    return { ok: true, xml: encodeValue({ methodName: method, params: args }, maxDepth + 2, method) };
  } catch (err) {
    return { ok: false, error: RpcError.from(err) };
  }
}

/** The system.multicall document for elements that could be encoded. */
export function multicallDocument(elementsXml: readonly string[]): string {
  return methodCallDocument(MULTICALL, [arrayOfValues(elementsXml)]);
}

/** The outcome a methodResponse body stands for; INTERNAL when it is not one. */
export function readResponse(body: Uint8Array, limits: XmlRpcDecodeLimits): XmlRpcOutcome {
  let doc;
  try {
    doc = decodeXmlRpc(body, limits);
  } catch (err) {
    const e = RpcError.from(err);
    const code = e.code === "RESOURCE_EXHAUSTED" ? e.code : "INTERNAL";
    return { ok: false, error: new RpcError(code, `malformed XML-RPC response: ${e.message}`) };
  }
  if (doc.kind === "fault") return { ok: false, error: fromFault(doc.fault) };
  if (doc.kind === "response") return { ok: true, value: doc.value };
  return { ok: false, error: new RpcError("INTERNAL", "malformed XML-RPC response: the server sent a <methodCall>") };
}

/** The outcome of each of `count` calls in a system.multicall answer. */
export function readMulticall(value: unknown, count: number): XmlRpcOutcome[] {
  if (!Array.isArray(value) || value.length !== count) {
    const error = new RpcError("INTERNAL", `malformed system.multicall answer: expected an array of ${count} elements`);
    return Array.from({ length: count }, () => ({ ok: false, error }));
  }
  return value.map((item): XmlRpcOutcome => {
    if (Array.isArray(item) && item.length === 1) return { ok: true, value: item[0] };
    if (typeof item === "object" && item !== null && "faultCode" in item) return { ok: false, error: fromFault(item) };
    return { ok: false, error: new RpcError("INTERNAL", "malformed system.multicall element: neither [result] nor a fault struct") };
  });
}
