/**
 * JSON-RPC 2.0, server side, exactly as specified (https://www.jsonrpc.org/specification):
 * a decoded document in, the response document out. Pure over a callback that runs a
 * method, so HTTP, raw TCP and WebSocket transports all reuse it; the transport decodes
 * (answering {@link parseErrorResponse} when it cannot) and encodes ({@link encodeResponse}).
 *
 * - A request gets one response; a notification (no `"id"` member) gets none, even when it
 *   fails. An invalid request gets an Invalid Request error (-32600) even without an id.
 * - Params: an array is the argument list; an object is ONE argument (the handler takes an
 *   options object); absent means no arguments. Anything else is Invalid Request.
 * - Ids of string, number or null are echoed exactly. An invalid request's id is echoed when
 *   it is itself valid, else null (the specification's "error in detecting the id").
 * - A batch is answered by an array in request order, notifications left out; an empty
 *   batch is a single Invalid Request error; a batch of notifications only is answered by
 *   nothing (undefined), never by an empty array; more than `maxBatch` elements is a single
 *   RESOURCE_EXHAUSTED error, refused before any element runs. Elements run concurrently.
 * - Method names starting with `rpc.` are reserved by the specification: `rpc.discover`
 *   answers `options.discover()` (an OpenRPC document), any other is Method not found.
 * - Errors map to error objects as jsonrpc-errors.ts says.
 */
import type { Codec } from "../core/codec.js";
import { callFrom, type CallOrigin, type IncomingCall } from "../core/incoming-call.js";
import type { CallLimit, CallPipeline, CallSink } from "../core/pipeline.js";
import { RpcError } from "../core/errors.js";
import {
  hasMember, isJsonObject, isJsonRpcId, JSONRPC_VERSION,
  type JsonRpcFailure, type JsonRpcId, type JsonRpcResponse,
} from "./document.js";
import { toErrorObject } from "./errors.js";

/** Runs one method: what a transport wires to the dispatcher. Throw RpcError to fail a call. */
export type JsonRpcInvoke = (method: string, args: unknown[], isNotification: boolean) => unknown;

/** Runs the JSON-RPC calls of one request or connection through `pipeline`, within `limit` when given. */
export function jsonRpcInvoker(pipeline: CallPipeline, origin: CallOrigin, limit?: CallLimit): JsonRpcInvoke {
  return (method, args, notification) => pipeline.invoke(callFrom("jsonrpc", origin, method, args, notification), limit);
}

/** Options of {@link handleJsonRpc}. */
export interface JsonRpcOptions {
  /**
   * Most elements in one batch; a larger batch is answered by a single RESOURCE_EXHAUSTED
   * error before any element runs, so one document cannot start unbounded work.
   * @default 1000
   */
  maxBatch: number;
  /** Answers `rpc.discover`; without it `rpc.discover` is Method not found. */
  discover?: () => unknown;
  /**
   * Both ends are farcall (the json-ext codec in extended mode carries undefined): a
   * handler's undefined result stays undefined. Otherwise it is sent as null, because a
   * response must have a `"result"` member.
   * @default false
   */
  extended: boolean;
}

/** Defaults of {@link JsonRpcOptions}. */
export const JSONRPC_DEFAULTS: Readonly<JsonRpcOptions> = Object.freeze({ maxBatch: 1000, extended: false });

/** The method name the specification reserves for service discovery. */
export const DISCOVER_METHOD = "rpc.discover";
const RESERVED_PREFIX = "rpc.";

/**
 * Answers one decoded JSON-RPC document: the response document, or undefined when nothing
 * must be sent (notifications, a batch of notifications only).
 */
export function handleJsonRpc(
  doc: unknown,
  invoke: JsonRpcInvoke,
  options: Partial<JsonRpcOptions> = {},
): Promise<JsonRpcResponse | JsonRpcResponse[] | undefined> {
  const maxBatch = options.maxBatch ?? JSONRPC_DEFAULTS.maxBatch;
  if (!Number.isInteger(maxBatch) || maxBatch < 1) return Promise.reject(new RangeError(`maxBatch must be a positive integer, got ${maxBatch}`));
  const extended = options.extended ?? JSONRPC_DEFAULTS.extended;
  // A single request, the common case, is one async frame (answer's), not two.
  if (!Array.isArray(doc)) return answer(doc, invoke, options.discover, extended);
  return answerBatch(doc, invoke, options.discover, extended, maxBatch);
}

async function answerBatch(
  doc: unknown[],
  invoke: JsonRpcInvoke,
  discover: (() => unknown) | undefined,
  extended: boolean,
  maxBatch: number,
): Promise<JsonRpcResponse | JsonRpcResponse[] | undefined> {
  if (doc.length === 0) return errorResponse(null, new RpcError("INVALID_REQUEST", "a batch must hold at least one request"));
  if (doc.length > maxBatch) {
    return errorResponse(null, new RpcError("RESOURCE_EXHAUSTED", `batch of ${doc.length} requests exceeds maxBatch ${maxBatch}`));
  }
  const settled = await Promise.all(doc.map((item) => answer(item, invoke, discover, extended)));
  const responses = settled.filter((r): r is JsonRpcResponse => r !== undefined);
  return responses.length > 0 ? responses : undefined;
}

/** A checked request: what to run, and where its answer goes. */
interface Checked {
  method: string;
  args: unknown[];
  /** The id to answer, or undefined for a notification. */
  id: JsonRpcId | undefined;
}

/** The request in `item`, or the Invalid Request response it earns. */
function check(item: unknown): Checked | JsonRpcFailure {
  if (!isJsonObject(item)) return invalid(null, "a request must be a JSON object");
  const hasId = hasMember(item, "id");
  const id = item.id;
  if (hasId && !isJsonRpcId(id)) return invalid(null, "id must be a string, a finite number or null");
  const answerId = hasId ? (id as JsonRpcId) : null;
  if (item.jsonrpc !== JSONRPC_VERSION) return invalid(answerId, `"jsonrpc" must be exactly "2.0"`);
  if (typeof item.method !== "string") return invalid(answerId, `"method" must be a string`);
  let args: unknown[];
  if (!hasMember(item, "params")) args = [];
  else if (Array.isArray(item.params)) args = item.params;
  else if (isJsonObject(item.params)) args = [item.params];
  else return invalid(answerId, `"params" must be an array or an object when present`);
  return { method: item.method, args, id: hasId ? (id as JsonRpcId) : undefined };
}

function invalid(id: JsonRpcId, message: string): JsonRpcFailure {
  return errorResponse(id, new RpcError("INVALID_REQUEST", message));
}

async function answer(
  item: unknown,
  invoke: JsonRpcInvoke,
  discover: (() => unknown) | undefined,
  extended: boolean,
): Promise<JsonRpcResponse | undefined> {
  const req = check(item);
  if ("jsonrpc" in req) return req;
  const notification = req.id === undefined;
  let result: unknown;
  try {
    if (req.method.startsWith(RESERVED_PREFIX)) {
      if (req.method !== DISCOVER_METHOD || !discover) {
        throw new RpcError("METHOD_NOT_FOUND", `no method ${JSON.stringify(req.method)}: names starting with "rpc." are reserved`);
      }
      result = await discover();
    } else {
      result = await invoke(req.method, req.args, notification);
    }
  } catch (err) {
    return responseTo(req.id, undefined, err, true, extended);
  }
  return responseTo(req.id, result, undefined, false, extended);
}

/** The response to request `id` (undefined: a notification, never answered, not even with an error). */
function responseTo(id: JsonRpcId | undefined, result: unknown, error: unknown, failed: boolean, extended: boolean): JsonRpcResponse | undefined {
  if (id === undefined) return undefined;
  if (failed) return errorResponse(id, error);
  return { jsonrpc: JSONRPC_VERSION, result: result === undefined && !extended ? null : result, id };
}

/**
 * {@link handleJsonRpc} run through `pipeline` directly, with the same answers, and without
 * a Promise where nothing waits: a single request whose handler answers synchronously (and
 * no interceptor) gets its response at once. Batches and `rpc.` names go the Promise way.
 */
export function answerJsonRpc(
  doc: unknown,
  pipeline: CallPipeline,
  origin: CallOrigin,
  options: JsonRpcOptions,
): JsonRpcResponse | JsonRpcResponse[] | undefined | Promise<JsonRpcResponse | JsonRpcResponse[] | undefined> {
  if (Array.isArray(doc)) return handleJsonRpc(doc, jsonRpcInvoker(pipeline, origin), options);
  const req = check(doc);
  if ("jsonrpc" in req) return req;
  if (req.method.startsWith(RESERVED_PREFIX)) return answer(doc, jsonRpcInvoker(pipeline, origin), options.discover, options.extended);
  const sink = new ResponseSink(req.id, options.extended);
  pipeline.dispatch(callFrom("jsonrpc", origin, req.method, req.args, req.id === undefined), sink);
  return sink.response();
}

/** Where one request's outcome lands: kept when it comes at once, else handed to the one waiting. */
class ResponseSink implements CallSink {
  inFlight = 0;
  readonly maxInFlight = Number.POSITIVE_INFINITY;
  readonly scope = "this request";
  private done = false;
  private result: JsonRpcResponse | undefined;
  private wake: ((response: JsonRpcResponse | undefined) => void) | undefined;

  constructor(
    private readonly id: JsonRpcId | undefined,
    private readonly extended: boolean,
  ) {}

  settled(_call: IncomingCall, value: unknown, error: unknown, failed: boolean): void {
    this.result = responseTo(this.id, value, error, failed, this.extended);
    this.done = true;
    this.wake?.(this.result);
  }

  response(): JsonRpcResponse | undefined | Promise<JsonRpcResponse | undefined> {
    if (this.done) return this.result;
    return new Promise((resolve) => (this.wake = resolve));
  }
}

/** The error response to request `id` for any thrown value (see jsonrpc-errors.ts). */
export function errorResponse(id: JsonRpcId, thrown: unknown): JsonRpcFailure {
  return { jsonrpc: JSONRPC_VERSION, error: toErrorObject(thrown), id };
}

/** The response to bytes that are not a JSON document: -32700 with id null. */
export function parseErrorResponse(message: string): JsonRpcFailure {
  return errorResponse(null, new RpcError("PARSE_ERROR", message));
}

/**
 * Encodes a response document. A result (or error data) the codec cannot carry fails that
 * response alone: it is replaced by an INTERNAL error for the same id, as farcall/1 does,
 * and the rest of a batch is still sent.
 */
export function encodeResponse(doc: JsonRpcResponse | JsonRpcResponse[], codec: Codec): Uint8Array {
  try {
    return codec.encode(doc);
  } catch (err) {
    if (!RpcError.is(err)) throw err;
  }
  if (!Array.isArray(doc)) return codec.encode(encodable(doc, codec, false));
  // Each element is tried inside an array, at the nesting depth it has in the batch.
  return codec.encode(doc.map((r) => encodable(r, codec, true)));
}

function encodable(r: JsonRpcResponse, codec: Codec, inBatch: boolean): JsonRpcResponse {
  try {
    codec.encode(inBatch ? [r] : r);
    return r;
  } catch (err) {
    const what = "error" in r ? "error data" : "result";
    return errorResponse(r.id, new RpcError("INTERNAL", `the ${what} cannot be sent: ${(err as Error).message}`));
  }
}
