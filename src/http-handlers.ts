/**
 * httpHandler() and fetchHandler(): an API served over HTTP inside someone else's server
 * (node:http, Express, Hono, Workers). http/ brings the transport rules; the protocols it
 * answers, JSON-RPC and XML-RPC, come from their families and are wired in here, as serve()
 * wires them into its http:// listeners and into HTTP found on its one port.
 */
import "./runtime-node.js";
import type { IncomingMessage } from "node:http";
import { Dispatcher } from "./core/dispatcher.js";
import { CallPipeline } from "./core/pipeline.js";
import { resolveLogger } from "./core/logger.js";
import { checkBoolean, checkInteger } from "./core/option-checks.js";
import { MAX_JSON_DEPTH } from "./codecs/json-ext.js";
import { keyBytes } from "./core/authkey.js";
import type { HttpRpcProtocol } from "./http/protocol.js";
import { HttpRpcCore, type HttpCoreConfig } from "./http/rpc-core.js";
import { nodeHandler, type NodeHttpHandler } from "./http/node.js";
import { fetchAdapter, type FetchHandler } from "./http/fetch.js";
import { JsonRpcHttp } from "./jsonrpc/http-protocol.js";
import type { OpenRpcInfo } from "./jsonrpc/openrpc.js";
import { XmlRpcHttp } from "./xmlrpc/http-handler.js";
import { HTTP_DEFAULTS, type HttpHandlerOptions } from "./options.js";
import { explorerPage } from "./http/explorer.js";

/** What the protocols over HTTP need beyond the pipeline. */
export interface HttpProtocolLimits {
  maxDepth: number;
  maxBatch: number;
  maxXmlElements: number;
  openrpc: OpenRpcInfo;
}

/**
 * The protocols farcall answers over HTTP POST, chosen by Content-Type: JSON-RPC first, so
 * requests of neither are refused with a JSON-RPC error, then XML-RPC (text/xml).
 */
export function httpProtocols(pipeline: CallPipeline, limits: HttpProtocolLimits): HttpRpcProtocol[] {
  return [
    new JsonRpcHttp({ pipeline, maxDepth: limits.maxDepth, maxBatch: limits.maxBatch, openrpc: limits.openrpc }),
    new XmlRpcHttp({ pipeline, maxDepth: limits.maxDepth, maxElements: limits.maxXmlElements, maxBatch: limits.maxBatch }),
  ];
}

/**
 * A node:http handler answering JSON-RPC 2.0 for `api`, and XML-RPC for POSTs whose
 * Content-Type is text/xml: POST requests, GET for the OpenRPC document, bearer auth, size
 * limits (see http/rpc-core.ts for every status it answers).
 * @example http.createServer(httpHandler(api, { authkey: "s3cret" })).listen(8080)
 */
export function httpHandler(api: object, options: HttpHandlerOptions<IncomingMessage> = {}): NodeHttpHandler {
  return nodeHandler(handlerCore(api, options));
}

/**
 * A Fetch-API handler answering JSON-RPC 2.0 for `api`, and XML-RPC for POSTs whose
 * Content-Type is text/xml. `peer` (optional) is the caller's address for context().peer;
 * without it the address is "unknown".
 * @example app.all("/rpc", (c) => handler(c.req.raw))   // Hono
 */
export function fetchHandler(api: object, options: HttpHandlerOptions<Request> = {}): FetchHandler {
  return fetchAdapter(handlerCore(api, options));
}

/** The core of a handler serving `api`, its options checked once, here, naming the bad one. */
function handlerCore<R>(api: object, options: HttpHandlerOptions<R>): HttpRpcCore<R> {
  if (options.auth !== undefined && typeof options.auth !== "function") throw new TypeError("auth must be a function (token, request) => boolean");
  const key = options.authkey !== undefined ? keyBytes(options.authkey) : undefined;
  if (key && key.length === 0) throw new RangeError("authkey must not be empty");
  const openrpc = options.openrpc ?? HTTP_DEFAULTS.openrpc;
  if (typeof openrpc.title !== "string" || typeof openrpc.version !== "string") throw new TypeError("openrpc needs a string title and version");
  const logger = resolveLogger(options.logger);
  const maxBodyBytes = checkInteger("maxBodyBytes", options.maxBodyBytes ?? HTTP_DEFAULTS.maxBodyBytes, 1);
  const limits: HttpProtocolLimits = {
    maxDepth: checkInteger("maxDepth", options.maxDepth ?? HTTP_DEFAULTS.maxDepth, 4, MAX_JSON_DEPTH),
    maxBatch: checkInteger("maxBatch", options.maxBatch ?? HTTP_DEFAULTS.maxBatch, 1),
    maxXmlElements: checkInteger("maxXmlElements", options.maxXmlElements ?? HTTP_DEFAULTS.maxXmlElements, 1),
    openrpc,
  };
  const pipeline = new CallPipeline({ dispatcher: new Dispatcher(api), use: options.use, callLog: options.callLog, logger });
  const explorer = checkBoolean("explorer", options.explorer ?? HTTP_DEFAULTS.explorer);
  const config: HttpCoreConfig<R> = { protocols: httpProtocols(pipeline, limits), maxBodyBytes, auth: options.auth, key, logger, page: explorer ? explorerPage() : undefined };
  return new HttpRpcCore(config);
}
