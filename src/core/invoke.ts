/**
 * Running one exposed method for a protocol without a Peer of its own (JSON-RPC over HTTP,
 * XML-RPC, the Python manager protocol): look it up, run it as the handler's context(), and
 * settle as a Promise. farcall/1's Peer does the same inline, keeping synchronous answers
 * synchronous.
 */
import { runInContext, type PeerInfo } from "./context.js";
import type { Dispatcher } from "./dispatcher.js";
import { RpcError } from "./errors.js";
import { IncomingCall } from "./incoming-call.js";

/** One call to run: who asked, what for, and until when. */
export interface InvokeRequest {
  method: string;
  args: unknown[];
  peer: PeerInfo;
  /** Caller metadata for context().meta. */
  meta?: Record<string, unknown>;
  /** Absolute deadline (ms since the epoch). */
  deadline?: number;
  /** Aborts the handler's context().signal, e.g. when an HTTP client disconnects. */
  signal?: AbortSignal;
}

/**
 * Runs `request.method` of `dispatcher`. Rejects with METHOD_NOT_FOUND for a name that is not
 * exposed, and with whatever the handler throws (callers map it with RpcError.from).
 */
export async function invokeMethod(dispatcher: Dispatcher, request: InvokeRequest): Promise<unknown> {
  const entry = dispatcher.lookup(request.method);
  if (!entry) throw new RpcError("METHOD_NOT_FOUND", `no method ${JSON.stringify(request.method)}`);
  const call = new IncomingCall(0, request.method, request.peer, request.meta, request.deadline);
  const { signal } = request;
  const onAbort = (): void => call.abort(new RpcError("CANCELLED", "the caller went away"));
  if (signal) {
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  }
  try {
    return await runInContext(call, entry.fn, entry.self, request.args);
  } finally {
    call.finish();
    signal?.removeEventListener("abort", onAbort);
  }
}
