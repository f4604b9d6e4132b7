/**
 * HttpHandlerOptions with defaults applied and checked once, when a handler is made, so a
 * bad option fails at startup naming itself.
 */
import type { Dispatcher } from "../core/dispatcher.js";
import { CallPipeline } from "../core/pipeline.js";
import { resolveLogger } from "../core/logger.js";
import { keyBytes } from "../net/hmac.js";
import { MAX_JSON_DEPTH } from "../codecs/json-ext.js";
import { checkInteger } from "../core/option-checks.js";
import { HTTP_DEFAULTS, type HttpHandlerOptions } from "../options.js";
import type { HttpCoreConfig } from "./rpc-core.js";

/** The checked configuration of a JSON-RPC HTTP endpoint serving `dispatcher`. */
export function resolveHttpConfig<R>(dispatcher: Dispatcher, options: HttpHandlerOptions<R>): HttpCoreConfig<R> {
  if (options.auth !== undefined && typeof options.auth !== "function") throw new TypeError("auth must be a function (token, request) => boolean");
  const key = options.authkey !== undefined ? keyBytes(options.authkey) : undefined;
  if (key && key.length === 0) throw new RangeError("authkey must not be empty");
  const openrpc = options.openrpc ?? HTTP_DEFAULTS.openrpc;
  if (typeof openrpc.title !== "string" || typeof openrpc.version !== "string") throw new TypeError("openrpc needs a string title and version");
  const logger = resolveLogger(options.logger);
  return {
    pipeline: new CallPipeline({ dispatcher, use: options.use, callLog: options.callLog, logger }),
    maxBodyBytes: checkInteger("maxBodyBytes", options.maxBodyBytes ?? HTTP_DEFAULTS.maxBodyBytes, 1),
    maxDepth: checkInteger("maxDepth", options.maxDepth ?? HTTP_DEFAULTS.maxDepth, 4, MAX_JSON_DEPTH),
    maxBatch: checkInteger("maxBatch", options.maxBatch ?? HTTP_DEFAULTS.maxBatch, 1),
    maxXmlElements: checkInteger("maxXmlElements", options.maxXmlElements ?? HTTP_DEFAULTS.maxXmlElements, 1),
    openrpc,
    auth: options.auth,
    key,
    logger,
  };
}
