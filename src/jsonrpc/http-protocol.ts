/**
 * JSON-RPC 2.0 over HTTP POST, the part after http/rpc-core.ts has checked the verb, the
 * credentials and the body size: a request body in, an HTTP answer out.
 *
 *   request                                           answer
 *   ------------------------------------------------  ---------------------------------------
 *   POST, Content-Type application/json               200, the JSON-RPC response
 *   body that is not JSON (or not UTF-8)              200, -32700 with id null
 *   body nesting deeper than maxDepth                 200, RESOURCE_EXHAUSTED with id null
 *   notifications only                                204, no body
 *   GET with Accept: application/json                 200, the OpenRPC document
 *   refusals of the core (401, 405, 413, 415)         that status, a JSON-RPC error, id null
 *
 * Errors in a parseable exchange are answered 200 with a JSON-RPC error body, as most
 * JSON-RPC servers do: the HTTP exchange worked, the call did not.
 *
 * `X-Farcall-Codec: json-ext` on a request says the caller is farcall: the request is read
 * and the response written with the extended JSON codec (Date, BigInt, Map, ... round-trip).
 */
import type { Codec } from "../core/codec.js";
import type { RpcError } from "../core/errors.js";
import type { CallPipeline } from "../core/pipeline.js";
import { createJsonCodec } from "../codecs/json-ext.js";
import type { HttpAnswer, HttpDiscovery, HttpRpcProtocol, HttpRpcRequest } from "../http/protocol.js";
import { answerJsonRpc, encodeResponse, errorResponse } from "./protocol.js";
import type { JsonRpcResponse } from "./document.js";
import { buildOpenRpcDocument, type OpenRpcDocument, type OpenRpcInfo } from "./openrpc.js";

/** The header a farcall client sets to ask for the extended JSON codec, and its value. */
export const CODEC_HEADER = "x-farcall-codec";
export const EXTENDED_CODEC = "json-ext";

export interface JsonRpcHttpConfig {
  /** Runs every call (and names the methods the OpenRPC document lists). */
  pipeline: CallPipeline;
  maxDepth: number;
  maxBatch: number;
  /** The `info` of the OpenRPC document. */
  openrpc: OpenRpcInfo;
}

export class JsonRpcHttp implements HttpRpcProtocol {
  readonly name = "JSON-RPC";
  readonly mediaTypes = "application/json (JSON-RPC)";
  readonly discovery: HttpDiscovery;
  private readonly plain: Codec;
  private readonly extended: Codec;
  private document: OpenRpcDocument | undefined;
  private readonly discover = (): OpenRpcDocument =>
    (this.document ??= buildOpenRpcDocument(this.cfg.pipeline.dispatcher?.list() ?? [], this.cfg.openrpc));

  constructor(private readonly cfg: JsonRpcHttpConfig) {
    this.plain = createJsonCodec({ extended: false, maxDepth: cfg.maxDepth });
    this.extended = createJsonCodec({ extended: true, maxDepth: cfg.maxDepth });
    this.discovery = {
      hint: "GET with Accept: application/json for the OpenRPC document",
      wants: (header) => acceptsJson(header("accept")),
      describe: (request) => {
        const extended = wantsExtended(request);
        return this.respond(200, (extended ? this.extended : this.plain).encode(this.discover()), extended, false);
      },
    };
  }

  accepts(contentType: string | undefined): boolean {
    return isJson(contentType);
  }

  answer(body: Uint8Array, request: HttpRpcRequest): HttpAnswer | Promise<HttpAnswer> {
    const extended = wantsExtended(request);
    const codec = extended ? this.extended : this.plain;
    let doc: unknown;
    try {
      doc = codec.decode(body);
    } catch (err) {
      // PARSE_ERROR (not JSON, not UTF-8) or RESOURCE_EXHAUSTED (too deep): no id can be read.
      return this.respond(200, encodeResponse(errorResponse(null, err), this.plain), extended, false);
    }
    const response = answerJsonRpc(doc, this.cfg.pipeline, request, { maxBatch: this.cfg.maxBatch, discover: this.discover, extended });
    if (response instanceof Promise) return response.then((r) => this.answered(r, codec, extended));
    return this.answered(response, codec, extended);
  }

  private answered(response: JsonRpcResponse | JsonRpcResponse[] | undefined, codec: Codec, extended: boolean): HttpAnswer {
    if (response === undefined) return { status: 204, headers: {}, close: false };
    return this.respond(200, encodeResponse(response, codec), extended, false);
  }

  /** A JSON-RPC error with id null: no request was read. */
  refusal(status: number, error: RpcError, close: boolean): HttpAnswer {
    return this.respond(status, encodeResponse(errorResponse(null, error), this.plain), false, close);
  }

  private respond(status: number, body: Uint8Array, extended: boolean, close: boolean): HttpAnswer {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (extended) headers[CODEC_HEADER] = EXTENDED_CODEC;
    return { status, headers, body, close };
  }
}

function wantsExtended(request: HttpRpcRequest): boolean {
  return request.header(CODEC_HEADER)?.trim().toLowerCase() === EXTENDED_CODEC;
}

/** The media type of a Content-Type header is application/json (parameters such as charset ignored). */
function isJson(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const semi = contentType.indexOf(";");
  return (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase() === "application/json";
}

/** The Accept header names application/json (or application/*). */
function acceptsJson(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  return accept.split(",").some((part) => {
    const type = part.split(";")[0]!.trim().toLowerCase();
    return type === "application/json" || type === "application/*";
  });
}
