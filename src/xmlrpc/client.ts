/**
 * The caller side of XML-RPC over HTTP, for `xmlrpc+http://` and `xmlrpc+https://` URLs:
 * each call is one POST of a methodCall, a batch() one POST of a system.multicall, and a
 * notification a call whose answer is dropped (XML-RPC has no notifications). listMethods()
 * asks system.listMethods, then each method's system.methodSignature in one multicall for
 * its arity (-1 when the server does not know it).
 */
import { RpcError } from "../core/errors.js";
import { LIST_METHODS } from "../core/messages.js";
import type { MethodInfo } from "../core/dispatcher.js";
import type { BatchedCall, CallOptions, Caller } from "../core/remote.js";
import { decodeXmlRpc, type XmlRpcDecodeLimits } from "./decode.js";
import { fromFault } from "./faults.js";
import { checkEndpoint, type EndpointReading } from "../http/endpoint-check.js";
import { encodeMethodCall } from "./encode.js";
import { multicallDocument, multicallElement, readMulticall, readResponse, type XmlRpcOutcome } from "./client-protocol.js";
import { LIST_METHODS as SYSTEM_LIST_METHODS, METHOD_SIGNATURE } from "./introspection.js";
import { callHeaders, combinedOptions, HttpPoster, type HttpCallerConfig, type PostAnswer } from "../http/post.js";
import { createJsonCodec } from "../codecs/json-ext.js";
import type { Codec } from "../core/codec.js";
import { isXml } from "./http-handler.js";

const SCHEME = /^xmlrpc\+(https?):\/\//i;

/** True for `xmlrpc+http://` and `xmlrpc+https://` URLs. */
export function isXmlRpcUrl(url: string): boolean {
  return SCHEME.test(url);
}

/** HttpCallerConfig's settings, `url` being an `xmlrpc+http(s)://` URL. */
export interface XmlRpcCallerConfig extends HttpCallerConfig {
  /** Most elements in one response document. */
  maxElements: number;
}

export class XmlRpcCaller implements Caller {
  private readonly poster: HttpPoster;
  private readonly headers: Record<string, string>;
  /** Extended JSON, for the Farcall-Meta header. */
  private readonly json: Codec;
  private readonly limits: XmlRpcDecodeLimits;

  constructor(private readonly cfg: XmlRpcCallerConfig) {
    let url: URL;
    try {
      url = new URL(cfg.url.replace(SCHEME, "$1://"));
    } catch {
      throw new TypeError(`invalid address ${JSON.stringify(cfg.url)}: expected xmlrpc+http://host:port/path or xmlrpc+https://host:port/path`);
    }
    this.poster = new HttpPoster(url, cfg.tls, cfg.maxBodyBytes, "maxFrameBytes");
    this.headers = { "content-type": "text/xml", accept: "text/xml", "user-agent": "farcall" };
    this.json = createJsonCodec({ extended: true, maxDepth: cfg.maxDepth });
    if (cfg.key) this.headers.authorization = `Bearer ${Buffer.from(cfg.key).toString("utf8")}`;
    // A multicall answer nests each result two levels deeper than the call's own.
    this.limits = { maxDepth: cfg.maxDepth + 2, maxElements: cfg.maxElements };
  }

  async call(target: string, args: unknown[], options: CallOptions): Promise<unknown> {
    if (target === LIST_METHODS) return this.listMethods(options);
    const document = encodeMethodCall(target, args, this.cfg.maxDepth);
    const outcome = await this.send(document, target, options);
    if (outcome.ok) return outcome.value;
    throw outcome.error;
  }

  notify(target: string, args: unknown[], options: CallOptions, done?: (error?: RpcError) => void): void {
    this.call(target, args, options).then(
      () => done?.(),
      (err: unknown) => done?.(RpcError.from(err)),
    );
  }

  /** One system.multicall POST; a member XML-RPC cannot carry fails alone, before sending. */
  batch(calls: readonly BatchedCall[]): void {
    const sent: BatchedCall[] = [];
    const elements: string[] = [];
    for (const c of calls) {
      if (c.target === LIST_METHODS) {
        settle(c, this.listMethods(c.options));
        continue;
      }
      const element = multicallElement(c.target, c.args, this.cfg.maxDepth);
      if (!element.ok) {
        settle(c, Promise.reject(element.error));
        continue;
      }
      sent.push(c);
      elements.push(element.xml);
    }
    if (sent.length === 0) return;
    const label = `a system.multicall of ${sent.length}`;
    let options: CallOptions;
    try {
      options = combinedOptions(sent, this.cfg.timeout);
    } catch (err) {
      for (const c of sent) settle(c, Promise.reject(RpcError.from(err)));
      return;
    }
    this.send(multicallDocument(elements), label, options).then(
      (outcome) => {
        const outcomes: XmlRpcOutcome[] = outcome.ok ? readMulticall(outcome.value, sent.length) : sent.map(() => outcome);
        sent.forEach((c, i) => {
          const o = outcomes[i]!;
          settle(c, o.ok ? Promise.resolve(o.value) : Promise.reject(o.error));
        });
      },
      (err: unknown) => {
        for (const c of sent) settle(c, Promise.reject(err));
      },
    );
  }

  async close(): Promise<void> {
    this.poster.close();
  }

  /** One system.listMethods, at connect: rejects as a TCP connect does when this is no endpoint that takes us (http/endpoint-check.ts). */
  checkEndpoint(timeout: number): Promise<void> {
    const payload = Buffer.from(encodeMethodCall(SYSTEM_LIST_METHODS, [], this.cfg.maxDepth), "utf8");
    return checkEndpoint(this.poster, { kind: "XML-RPC", url: this.cfg.url, payload, headers: this.headers, read: (answer) => this.reading(answer) }, timeout);
  }

  /** A methodResponse (a fault included) in any answer, or undefined. */
  private reading(answer: PostAnswer): EndpointReading {
    if (answer.status !== 200 && !isXml(answer.headers["content-type"])) return undefined;
    let doc;
    try {
      doc = decodeXmlRpc(answer.body, this.limits);
    } catch {
      // Not an XML-RPC document: an HTML page served with 200, say. Not an endpoint.
      return undefined;
    }
    if (doc.kind === "fault") return { error: fromFault(doc.fault) };
    return doc.kind === "response" ? {} : undefined;
  }

  /** POSTs a document and reads its answer. */
  private async send(document: string, what: string, options: CallOptions): Promise<XmlRpcOutcome> {
    const timeout = options.timeout ?? this.cfg.timeout;
    const headers = callHeaders(this.headers, timeout, options.meta, this.json);
    const answer = await this.poster.post(Buffer.from(document, "utf8"), headers, timeout, options.signal, what);
    return this.outcome(answer, what);
  }

  /** A 200 answer is a methodResponse; so is any XML body (farcall's refusals carry faults); other answers fail by status. */
  private outcome(answer: PostAnswer, what: string): XmlRpcOutcome {
    const xml = isXml(answer.headers["content-type"]);
    if (answer.status === 200 || (xml && answer.body.length > 0)) {
      const outcome = readResponse(answer.body, this.limits);
      if (outcome.ok && answer.status !== 200) {
        return { ok: false, error: new RpcError("INTERNAL", `${what}: HTTP ${answer.status} with a methodResponse from ${this.cfg.url}`) };
      }
      return outcome;
    }
    const code = answer.status >= 500 ? "UNAVAILABLE" : answer.status === 401 ? "UNAUTHENTICATED" : "INVALID_REQUEST";
    return { ok: false, error: new RpcError(code, `${what}: HTTP ${answer.status} from ${this.cfg.url}`) };
  }

  /** system.listMethods, with arities from the signatures the server knows. */
  private async listMethods(options: CallOptions): Promise<MethodInfo[]> {
    const names = await this.call(SYSTEM_LIST_METHODS, [], options);
    if (!Array.isArray(names) || !names.every((n) => typeof n === "string")) {
      throw new RpcError("INTERNAL", "system.listMethods answered something other than an array of names");
    }
    let signatures: XmlRpcOutcome[] = [];
    if (names.length > 0) {
      const elements = names.map((n) => multicallElement(METHOD_SIGNATURE, [n], this.cfg.maxDepth));
      const xml = elements.map((e) => {
        if (!e.ok) throw e.error;
        return e.xml;
      });
      const outcome = await this.send(multicallDocument(xml), SYSTEM_LIST_METHODS, options);
      // A server without system.multicall still lists its methods; their arity is just unknown.
      if (outcome.ok) signatures = readMulticall(outcome.value, names.length);
    }
    return names.map((name, i) => ({ name, arity: arityOf(signatures[i]) }));
  }
}

/** The parameter count of a method's first signature, or -1 when unknown. */
function arityOf(outcome: XmlRpcOutcome | undefined): number {
  const signatures = outcome?.ok ? outcome.value : undefined;
  const first = Array.isArray(signatures) ? signatures[0] : undefined;
  return Array.isArray(first) && first.length > 0 ? first.length - 1 : -1;
}

/** Settles a batch member from a promise: a call resolves or rejects, a notification learns only failures. */
function settle(c: BatchedCall, result: Promise<unknown>): void {
  if (c.kind === "call") result.then(c.resolve, c.reject);
  else result.then(() => c.done?.(), (err: unknown) => c.done?.(RpcError.from(err)));
}
