/**
 * JSON-RPC 2.0 over HTTP, independent of the HTTP library: one exchange in (method, headers,
 * a bounded body reader), one answer out (status, headers, body). The node:http handler and
 * the Fetch-API handler are thin adapters over it, so both apply the same rules:
 *
 *   request                                           answer
 *   ------------------------------------------------  ---------------------------------------
 *   verb other than POST and GET                      405, Allow: POST, GET
 *   GET without Accept: application/json              405, Allow: POST, GET
 *   missing or wrong bearer token (auth configured)   401, WWW-Authenticate, JSON-RPC error
 *   GET with Accept: application/json                 200, the OpenRPC document
 *   POST whose Content-Type is text/xml or            XML-RPC: see xmlrpc-http.ts (the
 *   application/xml                                   refusals above then carry a fault body)
 *   POST whose Content-Type is not application/json   415
 *   body over maxBodyBytes (declared or streamed)     413
 *   body that is not JSON (or not UTF-8)              200, -32700 with id null
 *   body nesting deeper than maxDepth                 200, RESOURCE_EXHAUSTED with id null
 *   notifications only                                204, no body
 *   anything else                                     200, the JSON-RPC response
 *
 * Errors in a parseable exchange are answered 200 with a JSON-RPC error body, as most
 * JSON-RPC servers do: the HTTP exchange worked, the call did not. Refusals before the body
 * is read ask for the connection to be closed, so an unread body is never parsed as the
 * next request.
 *
 * `X-Farcall-Codec: json-ext` on a request says the caller is farcall: the request is read
 * and the response written with the extended JSON codec (Date, BigInt, Map, ... round-trip).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { Codec } from "../core/codec.js";
import type { PeerInfo } from "../core/context.js";
import { deadlineFrom, META_HEADER, metaFrom, TIMEOUT_HEADER } from "../core/call-headers.js";
import { RpcError } from "../core/errors.js";
import type { CallOrigin } from "../core/incoming-call.js";
import type { CallPipeline } from "../core/pipeline.js";
import type { Logger } from "../core/logger.js";
import { createJsonCodec } from "../codecs/json-ext.js";
import { encodeResponse, errorResponse, handleJsonRpc, jsonRpcInvoker } from "../jsonrpc/protocol.js";
import { buildOpenRpcDocument, type OpenRpcDocument, type OpenRpcInfo } from "../jsonrpc/openrpc.js";
import type { BearerAuth } from "../options.js";
import { isXml, XmlRpcHttp } from "../xmlrpc/http-handler.js";

/** The header a farcall client sets to ask for the extended JSON codec, and its value. */
export const CODEC_HEADER = "x-farcall-codec";
export const EXTENDED_CODEC = "json-ext";

/** Verbs the endpoint answers, for the Allow header of a 405. */
const ALLOW = "POST, GET";

/** One HTTP request, as an adapter presents it. */
export interface HttpExchange<R> {
  /** The framework's request, passed to the `auth` function. */
  readonly request: R;
  /** Upper-case verb. */
  readonly method: string;
  /** A request header by lower-case name. */
  header(name: string): string | undefined;
  /** Who is calling: transport "http" or "https", remote address and port. */
  readonly peer: Omit<PeerInfo, "authenticated">;
  /** Aborted when the caller goes away before the answer is sent. */
  readonly signal: AbortSignal;
  /** Reads the whole body; rejects with RESOURCE_EXHAUSTED as soon as it passes `maxBytes`. */
  readBody(maxBytes: number): Promise<Uint8Array>;
}

/** What to send back. */
export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  body?: Uint8Array;
  /** Close the connection after answering: the request body was not read. */
  close: boolean;
}

/** Everything the core needs, with defaults applied and checked. */
export interface HttpCoreConfig<R> {
  /** Runs every call, JSON-RPC and XML-RPC alike. */
  pipeline: CallPipeline;
  maxBodyBytes: number;
  maxDepth: number;
  maxBatch: number;
  /** Most elements in one XML-RPC document. */
  maxXmlElements: number;
  openrpc: OpenRpcInfo;
  auth: BearerAuth<R> | undefined;
  key: Uint8Array | undefined;
  logger: Logger;
}

export class HttpRpcCore<R> {
  private readonly plain: Codec;
  private readonly extended: Codec;
  private readonly xml: XmlRpcHttp;
  private discovery: OpenRpcDocument | undefined;
  /** SHA-256 of the authkey: comparing digests takes the same time whatever the token's length. */
  private readonly keyDigest: Buffer | undefined;
  private readonly discover = (): OpenRpcDocument =>
    (this.discovery ??= buildOpenRpcDocument(this.cfg.pipeline.dispatcher?.list() ?? [], this.cfg.openrpc));

  constructor(private readonly cfg: HttpCoreConfig<R>) {
    this.plain = createJsonCodec({ extended: false, maxDepth: cfg.maxDepth });
    this.extended = createJsonCodec({ extended: true, maxDepth: cfg.maxDepth });
    this.keyDigest = cfg.key ? sha256(cfg.key) : undefined;
    this.xml = new XmlRpcHttp({
      pipeline: cfg.pipeline, maxDepth: cfg.maxDepth, maxElements: cfg.maxXmlElements, maxBatch: cfg.maxBatch,
    });
  }

  /** Answers one exchange; never rejects. */
  async handle(ex: HttpExchange<R>): Promise<HttpAnswer> {
    try {
      return await this.answer(ex);
    } catch (err) {
      this.cfg.logger.error(`http ${ex.peer.address}: ${(err as Error).message}`);
      return this.failure(500, new RpcError("INTERNAL", "the server failed to answer"), true);
    }
  }

  private async answer(ex: HttpExchange<R>): Promise<HttpAnswer> {
    const verb = ex.method;
    const type = ex.header("content-type");
    const xml = isXml(type);
    const discovery = verb === "GET" && acceptsJson(ex.header("accept"));
    if (verb !== "POST" && !discovery) {
      const answer = this.failure(405, new RpcError("INVALID_REQUEST", `HTTP ${verb} is not supported: POST a JSON-RPC or XML-RPC request, or GET with Accept: application/json for the OpenRPC document`), verb !== "GET" && verb !== "HEAD", xml);
      answer.headers.allow = ALLOW;
      return answer;
    }
    const authenticated = await this.authenticate(ex);
    if (authenticated === undefined) {
      const answer = this.failure(401, new RpcError("UNAUTHENTICATED", "missing or wrong bearer token (Authorization: Bearer ..., or Basic with the token as the password)"), verb === "POST", xml);
      answer.headers["www-authenticate"] = 'Bearer realm="farcall", Basic realm="farcall"';
      return answer;
    }
    const extended = ex.header(CODEC_HEADER)?.trim().toLowerCase() === EXTENDED_CODEC;
    const codec = extended ? this.extended : this.plain;
    if (discovery) return this.respond(200, codec.encode(this.discover()), extended, false);

    if (!xml && !isJson(type)) {
      return this.failure(415, new RpcError("INVALID_REQUEST", `Content-Type must be application/json (JSON-RPC) or text/xml (XML-RPC), got ${type === undefined ? "none" : JSON.stringify(type)}`), true);
    }
    const declared = ex.header("content-length");
    if (declared !== undefined && Number(declared) > this.cfg.maxBodyBytes) {
      return this.tooLarge(`request body of ${declared} B exceeds maxBodyBytes ${this.cfg.maxBodyBytes}`, xml);
    }
    let body: Uint8Array;
    try {
      body = await ex.readBody(this.cfg.maxBodyBytes);
    } catch (err) {
      if (RpcError.is(err) && err.code === "RESOURCE_EXHAUSTED") return this.tooLarge(err.message, xml);
      throw err;
    }
    let origin: CallOrigin;
    try {
      origin = {
        peer: { ...ex.peer, authenticated },
        signal: ex.signal,
        meta: metaFrom(ex.header(META_HEADER.toLowerCase()), this.extended),
        deadline: deadlineFrom(ex.header(TIMEOUT_HEADER.toLowerCase()), Date.now()),
      };
    } catch (err) {
      return this.failure(400, RpcError.from(err), false, xml);
    }
    if (xml) return this.xml.answer(body, origin);
    let doc: unknown;
    try {
      doc = codec.decode(body);
    } catch (err) {
      // PARSE_ERROR (not JSON, not UTF-8) or RESOURCE_EXHAUSTED (too deep): no id can be read.
      return this.respond(200, encodeResponse(errorResponse(null, err), this.plain), extended, false);
    }
    const invoke = jsonRpcInvoker(this.cfg.pipeline, origin);
    const response = await handleJsonRpc(doc, invoke, { maxBatch: this.cfg.maxBatch, discover: this.discover, extended });
    if (response === undefined) return { status: 204, headers: {}, close: false };
    return this.respond(200, encodeResponse(response, codec), extended, false);
  }

  /**
   * True or false (who may call, and whether they proved it), or undefined when the request
   * must be refused. Without auth and authkey every caller may call, unauthenticated.
   */
  private async authenticate(ex: HttpExchange<R>): Promise<boolean | undefined> {
    const { auth } = this.cfg;
    if (!auth && !this.keyDigest) return false;
    const token = credential(ex.header("authorization"));
    if (token === undefined) return undefined;
    if (auth) return (await auth(token, ex.request)) === true ? true : undefined;
    return timingSafeEqual(sha256(Buffer.from(token, "utf8")), this.keyDigest!) ? true : undefined;
  }

  private tooLarge(message: string, xml: boolean): HttpAnswer {
    return this.failure(413, new RpcError("RESOURCE_EXHAUSTED", message), true, xml);
  }

  /** An HTTP-level refusal with a JSON-RPC error body (id null: no request was read), or an XML-RPC fault. */
  private failure(status: number, error: RpcError, close: boolean, xml = false): HttpAnswer {
    if (xml) return this.xml.refusal(status, error, close);
    return this.respond(status, encodeResponse(errorResponse(null, error), this.plain), false, close);
  }

  private respond(status: number, body: Uint8Array, extended: boolean, close: boolean): HttpAnswer {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (extended) headers[CODEC_HEADER] = EXTENDED_CODEC;
    return { status, headers, body, close };
  }
}

function sha256(bytes: Uint8Array): Buffer {
  return createHash("sha256").update(bytes).digest();
}

/**
 * The token of `Authorization: Bearer <token>` (RFC 6750), or the password of
 * `Authorization: Basic base64(user:password)` (RFC 7617, the user name ignored): clients
 * that only know Basic, such as Python's `ServerProxy("http://user:key@host/")`, send the
 * token as their password. Scheme names are case-insensitive.
 */
function credential(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const bearer = /^\s*bearer\s+(\S+)\s*$/i.exec(header);
  if (bearer) return bearer[1];
  const basic = /^\s*basic\s+([A-Za-z0-9+/]+={0,2})\s*$/i.exec(header);
  if (!basic) return undefined;
  const pair = Buffer.from(basic[1], "base64").toString("utf8");
  const colon = pair.indexOf(":");
  return colon < 0 ? undefined : pair.slice(colon + 1);
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
