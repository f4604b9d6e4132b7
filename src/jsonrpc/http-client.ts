/**
 * The caller side of JSON-RPC over HTTP: each call is one POST, each notification an id-less
 * request answered 204, and a batch() one POST of a JSON-RPC batch array (see http-post.ts
 * for how a POST is sent). Requests carry `X-Farcall-Codec: json-ext`, so extended
 * values round-trip with a farcall server; an outside server ignores the header and gets
 * plain JSON-RPC.
 */
import type { Codec } from "../core/codec.js";
import { RpcError } from "../core/errors.js";
import { LIST_METHODS } from "../core/messages.js";
import type { BatchedCall, CallOptions, Caller } from "../core/remote.js";
import { createJsonCodec } from "../codecs/json-ext.js";
import { batchRequests, buildBatch, buildNotification, buildRequest, parseResponse, readResponse, type JsonRpcOutcome } from "./client-protocol.js";
import type { JsonRpcRequest } from "./document.js";
import { DISCOVER_METHOD } from "./protocol.js";
import { errorInfosOf, type OpenRpcDocument } from "./openrpc.js";
import type { MethodInfo } from "../core/dispatcher.js";
import { CODEC_HEADER, EXTENDED_CODEC } from "./http-protocol.js";
import { callHeaders, combinedOptions, HttpPoster, type HttpCallerConfig, type PostAnswer } from "../http/post.js";
import { checkEndpoint, type EndpointReading } from "../http/endpoint-check.js";

export class HttpCaller implements Caller {
  private readonly poster: HttpPoster;
  private readonly headers: Record<string, string>;
  private readonly plain: Codec;
  private readonly extended: Codec;
  private nextId = 1;

  constructor(private readonly cfg: HttpCallerConfig) {
    this.poster = new HttpPoster(new URL(cfg.url), cfg.tls, cfg.maxBodyBytes, "maxFrameBytes");
    this.headers = { "content-type": "application/json", accept: "application/json", [CODEC_HEADER]: EXTENDED_CODEC };
    if (cfg.key) this.headers.authorization = `Bearer ${Buffer.from(cfg.key).toString("utf8")}`;
    this.plain = createJsonCodec({ extended: false, maxDepth: cfg.maxDepth });
    this.extended = createJsonCodec({ extended: true, maxDepth: cfg.maxDepth });
  }

  async call(target: string, args: unknown[], options: CallOptions): Promise<unknown> {
    if (target === LIST_METHODS) return methodsOf(await this.call(DISCOVER_METHOD, [], options));
    const id = this.nextId++;
    const outcome = this.outcomes(await this.post(buildRequest(id, target, args), target, options), [id], target).get(id)!;
    if (outcome.ok) return outcome.value;
    throw outcome.error;
  }

  /**
   * One POST of a JSON-RPC batch array: calls get ids and are settled from the answers,
   * notifications go id-less and are done once the POST succeeded. One request has one
   * deadline and one cancellation: the shortest timeout of the members, and any member's
   * signal aborts it.
   */
  batch(calls: readonly BatchedCall[]): void {
    const { requests, ids } = batchRequests(calls, this.nextId);
    this.nextId += ids.length;
    const label = `a batch of ${calls.length}`;
    let doc: JsonRpcRequest[];
    let options: CallOptions;
    try {
      doc = buildBatch(requests);
      options = combinedOptions(calls, this.cfg.timeout);
    } catch (err) {
      return settleAll(calls, RpcError.from(err));
    }
    this.post(doc, label, options).then(
      (response) => {
        let outcomes: Map<unknown, JsonRpcOutcome>;
        try {
          outcomes = ids.length > 0 ? this.outcomes(response, ids, label) : new Map();
        } catch (err) {
          return settleAll(calls, err as RpcError);
        }
        let next = 0;
        for (const c of calls) {
          if (c.kind === "notify") {
            c.done?.();
            continue;
          }
          const outcome = outcomes.get(ids[next++])!;
          if (!outcome.ok) c.reject(outcome.error);
          else c.resolve(c.target === LIST_METHODS ? methodsOf(outcome.value) : outcome.value);
        }
      },
      (err: RpcError) => settleAll(calls, err),
    );
  }

  notify(target: string, args: unknown[], options: CallOptions, done?: (error?: RpcError) => void): void {
    this.post(buildNotification(target, args), target, options).then(
      () => done?.(),
      (err: RpcError) => done?.(err),
    );
  }

  async close(): Promise<void> {
    this.poster.close();
  }

  /** One rpc.discover, at connect: rejects as a TCP connect does when this is no endpoint that takes us (http/endpoint-check.ts). */
  checkEndpoint(timeout: number): Promise<void> {
    const payload = this.plain.encode(buildRequest(0, DISCOVER_METHOD, []));
    return checkEndpoint(this.poster, { kind: "JSON-RPC", url: this.cfg.url, payload, headers: this.headers, read: (answer) => this.reading(answer) }, timeout);
  }

  private reading(answer: PostAnswer): EndpointReading {
    let doc: unknown;
    try {
      doc = (answer.headers[CODEC_HEADER] === EXTENDED_CODEC ? this.extended : this.plain).decode(answer.body);
    } catch {
      // Not JSON: an HTML error page, a plain-text 404. Not an endpoint, which the caller says.
      return undefined;
    }
    const outcome = readResponse(doc);
    return outcome === undefined ? undefined : outcome.ok ? {} : { error: outcome.error };
  }

  /** The outcome of each of `ids` in a response body; throws INTERNAL for a body that is not JSON. */
  private outcomes(response: { status: number; body: Buffer; extended: boolean }, ids: readonly number[], target: string): Map<unknown, JsonRpcOutcome> {
    const codec = response.extended ? this.extended : this.plain;
    let doc: unknown;
    try {
      doc = codec.decode(response.body);
    } catch (err) {
      throw new RpcError("INTERNAL", `${target}: HTTP ${response.status} with a body that is not JSON-RPC: ${(err as Error).message}`);
    }
    return parseResponse(doc, ids);
  }

  /** POSTs `doc`; answers the status and body, or rejects with an RpcError naming why. */
  private async post(doc: unknown, target: string, options: CallOptions): Promise<{ status: number; body: Buffer; extended: boolean }> {
    const payload = this.extended.encode(doc);
    const timeout = options.timeout ?? this.cfg.timeout;
    const request = callHeaders(this.headers, timeout, options.meta, this.extended);
    const { status, headers, body } = await this.poster.post(payload, request, timeout, options.signal, target);
    if (status === 204 || (status >= 200 && status < 300) || headers["content-type"]?.startsWith("application/json")) {
      return { status, body, extended: headers[CODEC_HEADER] === EXTENDED_CODEC };
    }
    throw new RpcError(status >= 500 ? "UNAVAILABLE" : "INVALID_REQUEST", `${target}: HTTP ${status} from ${this.cfg.url}`);
  }
}

/**
 * listMethods() over JSON-RPC: the OpenRPC document's methods with their arity, and what
 * they were described with: description, parameter names (unless all are the generated
 * `argN`), schemas where they are not empty, declared errors.
 */
export function methodsOf(doc: unknown): MethodInfo[] {
  return (doc as OpenRpcDocument).methods.map((m) => {
    const info: MethodInfo = { name: m.name, arity: m.params.length };
    if (typeof m.description === "string") info.description = m.description;
    // A described method without parameters lists as `name()`, as over farcall/1.
    if (m.params.some((p, i) => p.name !== `arg${i}`) || (m.params.length === 0 && info.description !== undefined)) info.params = m.params.map((p) => p.name);
    if (m.params.some((p) => Object.keys(p.schema).length > 0)) info.paramSchemas = m.params.map((p) => p.schema);
    if (Object.keys(m.result.schema).length > 0) info.resultSchema = m.result.schema;
    const errors = errorInfosOf(m.errors);
    if (errors !== undefined) info.errors = errors;
    return info;
  });
}

/** Fails every call of a batch with `error`; notifications learn it through `done`. */
function settleAll(calls: readonly BatchedCall[], error: RpcError): void {
  for (const c of calls) {
    if (c.kind === "call") c.reject(error);
    else c.done?.(error);
  }
}
