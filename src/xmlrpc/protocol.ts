/**
 * XML-RPC, server side (http://xmlrpc.com/spec.md): a decoded methodCall in, the
 * methodResponse document out. Pure over a callback that runs a method, like jsonrpc.ts, so
 * any transport can carry it.
 *
 * - `system.listMethods`, `system.methodHelp`, `system.methodSignature` answer from the
 *   method table and describeMethod() (xmlrpc-introspection.ts).
 * - `system.multicall([{methodName, params}, ...])` runs the calls one after another, in
 *   order (as Python's server does, so a call may rely on the one before it), and answers
 *   one element per call: `[result]`, or a fault struct. A malformed element, a nested
 *   system.multicall and a result XML-RPC cannot carry fail that element alone; more than
 *   `maxBatch` calls fail the whole multicall (RESOURCE_EXHAUSTED) before any runs.
 * - Any other name goes to the method table: `__proto__` and friends are simply not there.
 * - Failures become faults as xmlrpc-faults.ts says. A result XML-RPC cannot carry is
 *   answered by an INTERNAL fault naming what could not be sent.
 */
import type { Dispatcher } from "../core/dispatcher.js";
import { RpcError } from "../core/errors.js";
import { arrayOfValues, encodeValue, faultDocument, responseDocument } from "./encode.js";
import { methodDoc } from "../core/method-doc.js";
import { formatDouble } from "./scalars.js";
import { toFault } from "./faults.js";
import { introspect, isIntrospection, MULTICALL } from "./introspection.js";

/** Runs one exposed method; throws (an RpcError, ideally) to fail it. */
export type XmlRpcInvoke = (method: string, args: unknown[]) => unknown;

export interface XmlRpcServerOptions {
  /** Most calls in one system.multicall. */
  maxBatch: number;
  /** Deepest nesting of an answered value. */
  maxDepth: number;
}

/** A fault `<value>`: the fault struct, or without farcallData when that cannot be carried. */
export function faultValue(thrown: unknown, maxDepth: number): string {
  const fault = toFault(thrown);
  try {
    return encodeValue(fault, maxDepth, "fault");
  } catch {
    delete fault.farcallData;
    return encodeValue(fault, maxDepth, "fault");
  }
}

/**
 * Whether `method` declares a double result (`describeMethod(fn, { returns: "double" })`):
 * JavaScript cannot tell 2.0 from 2, so an integral result of such a method is still sent as
 * `<double>2.0</double>`, the type a client of the method expects.
 */
function returnsDouble(dispatcher: Dispatcher, method: string): boolean {
  const entry = dispatcher.lookup(method);
  return entry !== undefined && methodDoc(entry.fn)?.returns === "double";
}

/** The `<value>` of a result, or an INTERNAL fault's when XML-RPC cannot carry it. */
function resultValue(result: unknown, maxDepth: number, wrap: boolean, double = false): { xml: string; fault: boolean } {
  try {
    if (double && typeof result === "number") {
      const xml = `<value><double>${formatDouble(result)}</double></value>`;
      return { xml: wrap ? arrayOfValues([xml]) : xml, fault: false };
    }
    return { xml: encodeValue(wrap ? [result] : result, maxDepth, "result"), fault: false };
  } catch (err) {
    return { xml: faultValue(new RpcError("INTERNAL", `the result cannot be sent: ${(err as Error).message}`), maxDepth), fault: true };
  }
}

/** The methodResponse document answering `method(...params)`. */
export async function handleXmlRpc(
  dispatcher: Dispatcher,
  method: string,
  params: unknown[],
  invoke: XmlRpcInvoke,
  options: XmlRpcServerOptions,
): Promise<string> {
  let result: unknown;
  try {
    result = method === MULTICALL ? await multicall(dispatcher, params, invoke, options) : await run(dispatcher, method, params, invoke);
  } catch (err) {
    return faultDocument(faultValue(err, options.maxDepth));
  }
  if (method === MULTICALL) return responseDocument(arrayOfValues(result as string[]));
  const answer = resultValue(result, options.maxDepth, false, returnsDouble(dispatcher, method));
  return answer.fault ? faultDocument(answer.xml) : responseDocument(answer.xml);
}

function run(dispatcher: Dispatcher, method: string, params: unknown[], invoke: XmlRpcInvoke): unknown {
  return isIntrospection(method) ? introspect(dispatcher, method, params) : invoke(method, params);
}

/** The encoded `<value>` of each element of a system.multicall. */
async function multicall(dispatcher: Dispatcher, params: unknown[], invoke: XmlRpcInvoke, options: XmlRpcServerOptions): Promise<string[]> {
  const calls = params[0];
  if (params.length !== 1 || !Array.isArray(calls)) throw new RpcError("INVALID_PARAMS", "system.multicall takes one array of {methodName, params} structs");
  if (calls.length > options.maxBatch) {
    throw new RpcError("RESOURCE_EXHAUSTED", `system.multicall of ${calls.length} calls exceeds maxBatch ${options.maxBatch}`);
  }
  const answers: string[] = [];
  for (const call of calls) {
    let result: unknown;
    let double = false;
    try {
      const { methodName, args } = checkElement(call);
      double = returnsDouble(dispatcher, methodName);
      result = await run(dispatcher, methodName, args, invoke);
    } catch (err) {
      answers.push(faultValue(err, options.maxDepth));
      continue;
    }
    answers.push(resultValue(result, options.maxDepth, true, double).xml);
  }
  return answers;
}

function checkElement(call: unknown): { methodName: string; args: unknown[] } {
  if (typeof call !== "object" || call === null || Array.isArray(call)) throw new RpcError("INVALID_REQUEST", "a system.multicall element must be a {methodName, params} struct");
  const { methodName, params } = call as Record<string, unknown>;
  if (typeof methodName !== "string") throw new RpcError("INVALID_REQUEST", "a system.multicall element needs a string methodName");
  if (methodName === MULTICALL) throw new RpcError("INVALID_REQUEST", "system.multicall cannot be nested");
  if (params !== undefined && !Array.isArray(params)) throw new RpcError("INVALID_REQUEST", `the params of ${methodName} in system.multicall must be an array`);
  return { methodName, args: params ?? [] };
}
