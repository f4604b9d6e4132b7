/**
 * RPC over HTTP, independent of the HTTP library and of the protocol: one exchange in
 * (method, headers, a bounded body reader), one answer out (status, headers, body). The
 * node:http handler and the Fetch-API handler are thin adapters over it, and the protocols
 * (JSON-RPC, XML-RPC: see protocol.ts) are handed in, so every listener and handler applies
 * the same rules:
 *
 *   request                                           answer
 *   ------------------------------------------------  ---------------------------------------
 *   verb other than POST and GET                      405, Allow: POST, GET
 *   GET that no protocol's discovery wants            405, Allow: POST, GET
 *   missing or wrong bearer token (auth configured)   401, WWW-Authenticate
 *   GET with Accept: text/html, when a page is set    200, the page (no credentials asked)
 *   GET a protocol's discovery wants                  200, its description
 *   POST whose Content-Type no protocol accepts       415
 *   body over maxBodyBytes (declared or streamed)     413
 *   anything else                                     the protocol's answer to the body
 *
 * Refusals carry an error in the form of the protocol the Content-Type names, or of the
 * first protocol when it names none. Refusals before the body is read ask for the
 * connection to be closed, so an unread body is never parsed as the next request.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { PeerInfo } from "../core/context.js";
import { deadlineFrom, META_HEADER, metaFrom, TIMEOUT_HEADER } from "../core/call-headers.js";
import { RpcError } from "../core/errors.js";
import { createJsonCodec } from "../codecs/json-ext.js";
import { rateLimited, type Logger } from "../core/logger.js";
import type { BearerAuth } from "../options.js";
import type { HttpAnswer, HttpDiscovery, HttpRpcProtocol, HttpRpcRequest } from "./protocol.js";
import type { HostCheck } from "./host-check.js";
import type { HttpPage } from "./explorer.js";

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
  /** True once the caller went away, where that can be told without making `signal`. */
  readonly aborted?: boolean;
  /** Reads the whole body; rejects with RESOURCE_EXHAUSTED as soon as it passes `maxBytes`. */
  readBody(maxBytes: number): Promise<Uint8Array>;
}

/** Everything the core needs, with defaults applied and checked. */
export interface HttpCoreConfig<R> {
  /** The protocols answered, by Content-Type; the first one's errors answer requests of none. */
  protocols: readonly HttpRpcProtocol[];
  maxBodyBytes: number;
  auth: BearerAuth<R> | undefined;
  key: Uint8Array | undefined;
  logger: Logger;
  /** The page a browser gets at this endpoint (the explorer), or none. */
  page?: HttpPage | undefined;
  /** Refuses requests addressed to a name this listener does not answer (DNS rebinding), where it applies. */
  host?: HostCheck | undefined;
}

export class HttpRpcCore<R> {
  private readonly fallback: HttpRpcProtocol;
  private readonly discoveries: readonly HttpDiscovery[];
  /** SHA-256 of the authkey: comparing digests takes the same time whatever the token's length. */
  private readonly keyDigest: Buffer | undefined;
  /** What a 405 tells the caller to do instead, and what a 415 says is accepted. */
  private readonly usage: string;
  private readonly accepted: string;
  /** Extended JSON at its default depth, for the Farcall-Meta header (at most 16 KiB). */
  private readonly metaCodec = createJsonCodec({ extended: true });
  /** Where refusals a flood could repeat are logged. */
  private readonly refusals: Logger;

  constructor(private readonly cfg: HttpCoreConfig<R>) {
    if (cfg.protocols.length === 0) throw new TypeError("an HTTP endpoint needs at least one protocol");
    this.fallback = cfg.protocols[0]!;
    this.discoveries = cfg.protocols.flatMap((p) => (p.discovery ? [p.discovery] : []));
    this.keyDigest = cfg.key ? sha256(cfg.key) : undefined;
    this.refusals = rateLimited(cfg.logger);
    const names = cfg.protocols.map((p) => p.name).join(" or ");
    this.usage = [`POST a ${names} request`, ...this.discoveries.map((d) => d.hint)].join(", or ");
    this.accepted = cfg.protocols.map((p) => p.mediaTypes).join(" or ");
  }

  /** Most bytes a request body may have. */
  get maxBodyBytes(): number {
    return this.cfg.maxBodyBytes;
  }

  /** Answers one exchange; never rejects. */
  async handle(ex: HttpExchange<R>): Promise<HttpAnswer> {
    try {
      const admission = await this.admit(ex);
      if (!(admission instanceof AdmittedRequest)) return admission;
      let body: Uint8Array;
      try {
        body = await ex.readBody(this.cfg.maxBodyBytes);
      } catch (err) {
        return this.unreadable(admission, err);
      }
      return await admission.protocol.answer(body, admission);
    } catch (err) {
      return this.failed(ex, err);
    }
  }

  /**
   * What the request gets before its body is read: a refusal, the page or a discovery
   * answer, or the admitted request whose protocol answers the body (read it within
   * `maxBodyBytes`). Synchronous unless an `auth` function is configured, so an adapter
   * need not wait a turn for checks that never wait.
   */
  admit(ex: HttpExchange<R>): HttpAnswer | AdmittedRequest<R> | Promise<HttpAnswer | AdmittedRequest<R>> {
    const verb = ex.method;
    const wrongHost = this.cfg.host?.(ex.header("host"));
    if (wrongHost !== undefined) {
      this.refusals.warn(`http ${ex.peer.address}: refused: ${wrongHost}`);
      return this.fallback.refusal(403, new RpcError("PERMISSION_DENIED", wrongHost), true);
    }
    if (verb === "GET" && this.cfg.page?.wants((name) => ex.header(name))) return this.cfg.page.answer();
    const type = ex.header("content-type");
    const protocol = this.protocolFor(type);
    const speaks = protocol ?? this.fallback;
    const discovery = verb === "GET" ? this.discoveries.find((d) => d.wants((name) => ex.header(name))) : undefined;
    if (verb !== "POST" && !discovery) {
      const answer = speaks.refusal(405, new RpcError("INVALID_REQUEST", `HTTP ${verb} is not supported: ${this.usage}`), verb !== "GET" && verb !== "HEAD");
      answer.headers.allow = ALLOW;
      return answer;
    }
    const checks: Checks = { verb, type, protocol, speaks, discovery };
    // Only an `auth` function can be asynchronous: the key check needs no await.
    if (this.cfg.auth) return this.authenticate(ex).then((authenticated) => this.admitted(ex, checks, authenticated));
    return this.admitted(ex, checks, this.checkKey(ex));
  }

  /** The answer to a body that could not be read: 413 past maxBodyBytes; anything else is thrown. */
  unreadable(admitted: AdmittedRequest<R>, err: unknown): HttpAnswer {
    if (RpcError.is(err) && err.code === "RESOURCE_EXHAUSTED") return admitted.protocol.refusal(413, err, true);
    throw err;
  }

  /** The answer when answering failed unexpectedly: logged, 500 INTERNAL. */
  failed(ex: HttpExchange<R>, err: unknown): HttpAnswer {
    this.cfg.logger.error(`http ${ex.peer.address}: ${(err as Error).message}`);
    return this.fallback.refusal(500, new RpcError("INTERNAL", "the server failed to answer"), true);
  }

  /**
   * The answer to a request whose own answer of `bytes` the server's write budget cannot
   * hold now (`over` says why): 503 RESOURCE_EXHAUSTED, logged at a bounded rate.
   */
  overBudget(bytes: number, over: string): HttpAnswer {
    const message = `an answer of ${bytes} B cannot be queued: ${over}`;
    this.refusals.warn(`http: refused: ${message}`);
    return this.fallback.refusal(503, new RpcError("RESOURCE_EXHAUSTED", message), false);
  }

  /**
   * A refusal in the form of the first protocol (JSON-RPC for serve()), for callers turned
   * away before the core sees the request (an address outside the allow list).
   */
  refusal(status: number, error: RpcError): HttpAnswer {
    return this.fallback.refusal(status, error, true);
  }

  /** The protocol a POST of Content-Type `type` is for; the usual single protocol needs no closure. */
  private protocolFor(type: string | undefined): HttpRpcProtocol | undefined {
    for (const p of this.cfg.protocols) if (p.accepts(type)) return p;
    return undefined;
  }

  /** {@link admit} once the credentials are judged (`authenticated` undefined: refused). */
  private admitted(ex: HttpExchange<R>, c: Checks, authenticated: boolean | undefined): HttpAnswer | AdmittedRequest<R> {
    if (authenticated === undefined) {
      const answer = c.speaks.refusal(401, new RpcError("UNAUTHENTICATED", "missing or wrong bearer token (Authorization: Bearer ..., or Basic with the token as the password)"), c.verb === "POST");
      answer.headers["www-authenticate"] = 'Bearer realm="farcall", Basic realm="farcall"';
      return answer;
    }
    let request: AdmittedRequest<R>;
    try {
      request = new AdmittedRequest(
        ex,
        c.protocol ?? c.speaks,
        withAuthentication(ex.peer, authenticated),
        metaFrom(ex.header(META_HEADER_NAME), this.metaCodec),
        deadlineFrom(ex.header(TIMEOUT_HEADER_NAME), Date.now()),
      );
    } catch (err) {
      return c.speaks.refusal(400, RpcError.from(err), false);
    }
    if (c.discovery) return c.discovery.describe(request);

    if (!c.protocol) {
      return this.fallback.refusal(415, new RpcError("INVALID_REQUEST", `Content-Type must be ${this.accepted}, got ${c.type === undefined ? "none" : JSON.stringify(c.type)}`), true);
    }
    const declared = ex.header("content-length");
    if (declared !== undefined && Number(declared) > this.cfg.maxBodyBytes) {
      return c.protocol.refusal(413, new RpcError("RESOURCE_EXHAUSTED", `request body of ${declared} B exceeds maxBodyBytes ${this.cfg.maxBodyBytes}`), true);
    }
    return request;
  }

  /**
   * True or false (who may call, and whether they proved it), or undefined when the request
   * must be refused. Without auth and authkey every caller may call, unauthenticated.
   */
  private async authenticate(ex: HttpExchange<R>): Promise<boolean | undefined> {
    const token = credential(ex.header("authorization"));
    if (token === undefined) return undefined;
    return (await this.cfg.auth!(token, ex.request)) === true ? true : undefined;
  }

  /** {@link authenticate} without an `auth` function: the authkey, or nothing to check. */
  private checkKey(ex: HttpExchange<R>): boolean | undefined {
    if (!this.keyDigest) return false;
    const token = credential(ex.header("authorization"));
    if (token === undefined) return undefined;
    return timingSafeEqual(sha256(Buffer.from(token, "utf8")), this.keyDigest) ? true : undefined;
  }
}

const META_HEADER_NAME = META_HEADER.toLowerCase();
const TIMEOUT_HEADER_NAME = TIMEOUT_HEADER.toLowerCase();

/** What {@link HttpRpcCore.admit} found before the credentials were judged. */
interface Checks {
  verb: string;
  type: string | undefined;
  /** The protocol the Content-Type names, if any. */
  protocol: HttpRpcProtocol | undefined;
  /** The protocol refusals are written in: that one, else the first. */
  speaks: HttpRpcProtocol;
  discovery: HttpDiscovery | undefined;
}

/**
 * A request past the core's checks, and the protocol that answers its body; its signal is
 * the exchange's, made only if read.
 */
export class AdmittedRequest<R> implements HttpRpcRequest {
  constructor(
    private readonly ex: HttpExchange<R>,
    readonly protocol: HttpRpcProtocol,
    readonly peer: PeerInfo,
    readonly meta: Record<string, unknown> | undefined,
    readonly deadline: number | undefined,
  ) {}
  header(name: string): string | undefined {
    return this.ex.header(name);
  }
  get signal(): AbortSignal {
    return this.ex.signal;
  }
  get aborted(): boolean {
    return this.ex.aborted ?? this.ex.signal.aborted;
  }
}

/**
 * `peer` and whether it proved the key. Not `{ ...peer, authenticated }`: Node 20's V8 builds
 * a spread followed by another member on a slow path, about 5 µs a request here.
 */
function withAuthentication(peer: HttpExchange<unknown>["peer"], authenticated: boolean): PeerInfo {
  const full: { -readonly [K in keyof PeerInfo]?: PeerInfo[K] } = { transport: peer.transport, address: peer.address };
  if (peer.port !== undefined) full.port = peer.port;
  if (peer.certificateSubject !== undefined) full.certificateSubject = peer.certificateSubject;
  full.authenticated = authenticated;
  return full as PeerInfo;
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
