/**
 * The call log for JSON-RPC (over HTTP and raw TCP): the method runner of a connection or
 * exchange, wrapped to time each call and write its entry. Only made when a call log is set,
 * so without one JSON-RPC calls read no clock. Requests refused before a method is run
 * (invalid requests, over-large batches) and `rpc.discover` are not calls and are not logged.
 */
import { callClock, outcomeOf, writeCallLog, type CallLog } from "../core/call-log.js";
import type { PeerInfo } from "../core/context.js";
import type { Logger } from "../core/logger.js";
import type { JsonRpcInvoke } from "./protocol.js";

/** `invoke`, writing one call-log entry per call it runs for `peer`. */
export function loggedInvoke(invoke: JsonRpcInvoke, log: CallLog, logger: Logger, peer: PeerInfo): JsonRpcInvoke {
  return async (method, args, isNotification) => {
    const started = callClock();
    let result: unknown;
    try {
      result = await invoke(method, args, isNotification);
    } catch (err) {
      writeCallLog(log, logger, "jsonrpc", peer, method, started, outcomeOf(true, err), isNotification);
      throw err;
    }
    writeCallLog(log, logger, "jsonrpc", peer, method, started, "ok", isNotification);
    return result;
  };
}
