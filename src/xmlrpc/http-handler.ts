/**
 * XML-RPC over HTTP POST, the part after http/rpc-core.ts has checked the verb, the
 * credentials and the body size: a request body in, an HTTP answer out. The core sends here
 * every POST whose Content-Type is text/xml or application/xml; serve(), httpHandler() and
 * fetchHandler() hand it in beside JSON-RPC, so every listener and handler that answers
 * JSON-RPC answers XML-RPC too.
 *
 *   request                                            answer
 *   -------------------------------------------------  ------------------------------------
 *   not well-formed, DOCTYPE, entity declaration       200, fault -32700 (PARSE_ERROR)
 *   nesting deeper than maxDepth, over maxXmlElements  200, fault -32005 (RESOURCE_EXHAUSTED)
 *   well-formed but not a methodCall                   200, fault -32600 (INVALID_REQUEST)
 *   a call                                             200, its methodResponse
 *   HTTP-level refusals (401, 405, 413)                that status, a fault body
 *
 * Faults are answered with status 200, as the specification and Python's server do.
 */
import type { Dispatcher } from "../core/dispatcher.js";
import { RpcError } from "../core/errors.js";
import { callFrom } from "../core/incoming-call.js";
import type { CallPipeline } from "../core/pipeline.js";
import type { decodeXmlRpc } from "./decode.js";
import { faultDocument } from "./encode.js";
import { faultValue, handleXmlRpc, type XmlRpcInvoke } from "./protocol.js";
import type { HttpAnswer, HttpRpcProtocol, HttpRpcRequest } from "../http/protocol.js";

export interface XmlRpcHttpConfig {
  /** Runs every call (and names the methods introspection lists). */
  pipeline: CallPipeline;
  maxDepth: number;
  maxElements: number;
  maxBatch: number;
}

/** The Content-Type of every answer; the XML declaration says UTF-8. */
const XML_TYPE = "text/xml; charset=utf-8";

/** True when a Content-Type's media type is text/xml or application/xml (parameters ignored). */
export function isXml(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const semi = contentType.indexOf(";");
  const type = (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  return type === "text/xml" || type === "application/xml";
}

export class XmlRpcHttp implements HttpRpcProtocol {
  readonly name = "XML-RPC";
  readonly mediaTypes = "text/xml (XML-RPC)";
  private readonly dispatcher: Dispatcher;

  constructor(private readonly cfg: XmlRpcHttpConfig) {
    if (!cfg.pipeline.dispatcher) throw new TypeError("an XML-RPC endpoint needs something to serve");
    this.dispatcher = cfg.pipeline.dispatcher;
  }

  accepts(contentType: string | undefined): boolean {
    return isXml(contentType);
  }

  /** Answers one request body; never rejects for anything the caller sent. */
  async answer(body: Uint8Array, request: HttpRpcRequest): Promise<HttpAnswer> {
    const { pipeline, maxDepth, maxElements, maxBatch } = this.cfg;
    const decode = decoder ?? (decoder = (await import("./decode.js")).decodeXmlRpc);
    let call: { method: string; params: unknown[] };
    try {
      call = readCall(decode, body, maxDepth, maxElements);
    } catch (err) {
      return this.refusal(200, err, false);
    }
    const invoke: XmlRpcInvoke = (method, args) => pipeline.invoke(callFrom("xmlrpc", request, method, args));
    const document = await handleXmlRpc(this.dispatcher, call.method, call.params, invoke, { maxBatch, maxDepth });
    return { status: 200, headers: { "content-type": XML_TYPE }, body: Buffer.from(document, "utf8"), close: false };
  }

  /** An answer whose body is a fault document, for refusals before a call could run. */
  refusal(status: number, error: unknown, close: boolean): HttpAnswer {
    const document = faultDocument(faultValue(error, this.cfg.maxDepth));
    return { status, headers: { "content-type": XML_TYPE }, body: Buffer.from(document, "utf8"), close };
  }
}

/**
 * The XML reader, and the sax package under it, imported with the first XML-RPC request
 * rather than with the HTTP handlers: most servers and every client never read XML.
 */
let decoder: typeof decodeXmlRpc | undefined;

function readCall(decode: typeof decodeXmlRpc, body: Uint8Array, maxDepth: number, maxElements: number): { method: string; params: unknown[] } {
  const doc = decode(body, { maxDepth, maxElements });
  if (doc.kind !== "call") throw new RpcError("INVALID_REQUEST", "not an XML-RPC call: a <methodResponse> was sent to the server");
  return doc;
}
