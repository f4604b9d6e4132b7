/**
 * JSON-RPC 2.0, client side: request documents out, per-call outcomes in. Pure, so every
 * transport's client reuses it. Errors are rebuilt by jsonrpc-errors.ts, so an RpcError
 * thrown by a farcall server arrives with its code and data.
 */
import { RpcError } from "../core/errors.js";
import {
  hasMember, isJsonObject, isJsonRpcId, JSONRPC_VERSION,
  type JsonRpcId, type JsonRpcRequest,
} from "./document.js";
import { fromErrorObject } from "./errors.js";
import { LIST_METHODS } from "../core/messages.js";
import type { BatchedCall } from "../core/remote.js";
import { DISCOVER_METHOD } from "./protocol.js";

/** How one call ended. A result may itself be an Error (extended mode), hence the flag. */
export type JsonRpcOutcome = { ok: true; value: unknown } | { ok: false; error: RpcError };

/** A call: positional params, omitted when there are no arguments. */
export function buildRequest(id: string | number, method: string, args: readonly unknown[]): JsonRpcRequest {
  const req: JsonRpcRequest = { jsonrpc: JSONRPC_VERSION, method };
  if (args.length > 0) req.params = [...args];
  req.id = id;
  return req;
}

/** A notification: a call without an id, never answered. */
export function buildNotification(method: string, args: readonly unknown[]): JsonRpcRequest {
  const req: JsonRpcRequest = { jsonrpc: JSONRPC_VERSION, method };
  if (args.length > 0) req.params = [...args];
  return req;
}

/**
 * A batch of calls and notifications. An empty batch is refused here: the server would
 * answer it with a single Invalid Request error.
 */
export function buildBatch(requests: readonly JsonRpcRequest[]): JsonRpcRequest[] {
  if (requests.length === 0) throw new RpcError("INVALID_REQUEST", "a batch must hold at least one request");
  return [...requests];
}

/**
 * The requests of a batch(): each call gets the next id from `firstId` on (returned in the
 * calls' order), each notification none; listMethods() is asked as rpc.discover.
 */
export function batchRequests(calls: readonly BatchedCall[], firstId: number): { requests: JsonRpcRequest[]; ids: number[] } {
  const requests: JsonRpcRequest[] = [];
  const ids: number[] = [];
  for (const c of calls) {
    const method = c.target === LIST_METHODS ? DISCOVER_METHOD : c.target;
    if (c.kind === "notify") {
      requests.push(buildNotification(method, c.args));
      continue;
    }
    const id = firstId + ids.length;
    ids.push(id);
    requests.push(buildRequest(id, method, c.args));
  }
  return { requests, ids };
}

/** One response read from a document, or the reason it is not one. */
type Read = { id: JsonRpcId; outcome: JsonRpcOutcome } | { malformed: string };

function read(doc: unknown): Read {
  if (!isJsonObject(doc)) return { malformed: "a response must be a JSON object" };
  if (doc.jsonrpc !== JSONRPC_VERSION) return { malformed: `"jsonrpc" must be exactly "2.0"` };
  if (!hasMember(doc, "id") || !isJsonRpcId(doc.id)) return { malformed: "a response must have a string, number or null id" };
  const hasResult = hasMember(doc, "result");
  if (hasResult === hasMember(doc, "error")) return { malformed: `a response has exactly one of "result" and "error"` };
  return { id: doc.id, outcome: hasResult ? { ok: true, value: doc.result } : { ok: false, error: fromErrorObject(doc.error) } };
}

function failed(message: string): JsonRpcOutcome {
  return { ok: false, error: new RpcError("INTERNAL", message) };
}

/**
 * The outcome of every call in `pendingIds` (the ids of the request or batch sent), read
 * from the response document. Each pending id gets exactly one outcome:
 * - the response with its id (the first one, should a server repeat an id);
 * - else an error the server could not attribute to a call (id null: Parse error, Invalid
 *   Request, a batch over the server's limit), which fails every call left unanswered;
 * - else INTERNAL, "no response for this call".
 * A document that is not a response at all fails every call with INTERNAL. Responses to ids
 * not pending are ignored. The map lists the ids in the order of `pendingIds`.
 */
/** The outcome of one response document, or undefined when it is no JSON-RPC response. */
export function readResponse(doc: unknown): JsonRpcOutcome | undefined {
  const r = read(doc);
  return "malformed" in r ? undefined : r.outcome;
}

export function parseResponse(doc: unknown, pendingIds: Iterable<JsonRpcId>): Map<JsonRpcId, JsonRpcOutcome> {
  const pending = new Set(pendingIds);
  const answered = new Map<JsonRpcId, JsonRpcOutcome>();
  let unattributed: JsonRpcOutcome | undefined;
  let firstMalformed: string | undefined;
  const items: unknown[] = Array.isArray(doc) ? doc : [doc];
  for (const item of items) {
    const r = read(item);
    if ("malformed" in r) {
      firstMalformed ??= r.malformed;
      continue;
    }
    if (pending.has(r.id) && !answered.has(r.id) && (r.id !== null || r.outcome.ok)) {
      answered.set(r.id, r.outcome);
    } else if (!r.outcome.ok && (r.id === null || !Array.isArray(doc))) {
      unattributed ??= r.outcome;
    }
  }
  const out = new Map<JsonRpcId, JsonRpcOutcome>();
  for (const id of pending) {
    const outcome = answered.get(id);
    if (outcome) out.set(id, outcome);
    else if (unattributed) out.set(id, unattributed);
    else if (firstMalformed !== undefined) out.set(id, failed(`malformed JSON-RPC response: ${firstMalformed}`));
    else out.set(id, failed(`the server sent no response for call ${JSON.stringify(id)}`));
  }
  return out;
}
