/**
 * One HTTP POST from a client, whatever it carries: bytes out, status and bytes back, with
 * a deadline, cancellation through an AbortSignal, and a cap on the response body. Sent with
 * node:http(s) over a keep-alive Agent, because only node's agents take the `tls` options
 * (a private CA, a client certificate) connect() accepts.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { META_HEADER, metaHeader, TIMEOUT_HEADER } from "../core/call-headers.js";
import type { Codec } from "../core/codec.js";
import { RpcError } from "../core/errors.js";
import type { CallOptions } from "../core/remote.js";
import type { ClientTlsOptions } from "../options.js";
import type { ResolvedConnect } from "../connect-options.js";

/** What came back. */
export interface PostAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** POSTs to one URL over one keep-alive agent. */
export class HttpPoster {
  private readonly agent: HttpAgent;
  private readonly send: typeof httpRequest;
  private closed = false;

  /**
   * @param url an http: or https: URL
   * @param maxBodyBytes largest response body read; past it the call fails RESOURCE_EXHAUSTED
   * @param limitName the option `maxBodyBytes` comes from, for the error message
   */
  constructor(
    readonly url: URL,
    tls: ClientTlsOptions | undefined,
    private readonly maxBodyBytes: number,
    private readonly limitName: string,
  ) {
    const https = url.protocol === "https:";
    this.agent = https ? new HttpsAgent({ keepAlive: true, ...tls }) : new HttpAgent({ keepAlive: true });
    this.send = https ? httpsRequest : httpRequest;
  }

  /**
   * POSTs `payload`; resolves with any status, rejects with an RpcError when no answer
   * came: UNAVAILABLE (network), DEADLINE_EXCEEDED (`timeout` ms), CANCELLED (the signal),
   * RESOURCE_EXHAUSTED (the answer is too large). `what` names the call in messages.
   */
  post(payload: Uint8Array, headers: Record<string, string>, timeout: number, signal: AbortSignal | undefined, what: string): Promise<PostAnswer> {
    if (this.closed) return Promise.reject(new RpcError("UNAVAILABLE", `${what}: the client is closed`));
    return new Promise((resolve, reject) => {
      // Not { ...headers, "content-length": n }: Node 20's V8 adds a member to a spread copy on a slow path (3-5 µs).
      const all = Object.assign({}, headers);
      all["content-length"] = String(payload.length);
      const req = this.send(this.url, { method: "POST", agent: this.agent, headers: all });
      let timer: ReturnType<typeof setTimeout> | undefined;
      const settle = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
      };
      const fail = (err: RpcError): void => {
        settle();
        req.destroy();
        reject(err);
      };
      const onAbort = (): void => fail(new RpcError("CANCELLED", `${what}: cancelled by the caller`));
      if (signal?.aborted) return onAbort();
      signal?.addEventListener("abort", onAbort, { once: true });
      if (timeout > 0) timer = setTimeout(() => fail(new RpcError("DEADLINE_EXCEEDED", `${what}: no answer within ${timeout} ms`)), timeout);
      req.on("error", (err) => fail(new RpcError("UNAVAILABLE", `${what}: ${this.url.href}: ${err.message}`)));
      req.on("response", (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > this.maxBodyBytes) fail(new RpcError("RESOURCE_EXHAUSTED", `${what}: response exceeds ${this.limitName} ${this.maxBodyBytes}`));
          else chunks.push(chunk);
        });
        res.on("error", (err) => fail(new RpcError("UNAVAILABLE", `${what}: ${err.message}`)));
        res.on("end", () => {
          settle();
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks, size) });
        });
      });
      req.end(payload);
    });
  }

  close(): void {
    this.closed = true;
    this.agent.destroy();
  }
}

/**
 * The options of one request carrying several calls: the shortest timeout among them (a
 * call without one takes `defaultTimeout`), and a signal that any member's signal aborts.
 */
export function combinedOptions(calls: readonly { options: CallOptions }[], defaultTimeout: number): CallOptions {
  let timeout = 0;
  const signals = new Set<AbortSignal>();
  const metas = new Set<Record<string, unknown> | undefined>();
  for (const c of calls) {
    const t = c.options.timeout ?? defaultTimeout;
    if (t > 0 && (timeout === 0 || t < timeout)) timeout = t;
    if (c.options.signal) signals.add(c.options.signal);
    metas.add(c.options.meta);
  }
  // One request carries one set of headers: members with different metadata cannot share it.
  if (metas.size > 1) throw new RpcError("INVALID_PARAMS", `the ${calls.length} calls of an HTTP batch carry different metadata; one request has one Farcall-Meta header`);
  const meta = metas.values().next().value;
  const signal = signals.size <= 1 ? signals.values().next().value : AbortSignal.any([...signals]);
  const options: CallOptions = { timeout };
  if (signal) options.signal = signal;
  if (meta) options.meta = meta;
  return options;
}

/**
 * `base` plus the call's deadline (`Farcall-Timeout`, relative ms) and metadata
 * (`Farcall-Meta`, extended JSON) when it has them, so the server's handler sees both.
 * @throws RpcError RESOURCE_EXHAUSTED for metadata over the header limit
 */
export function callHeaders(base: Record<string, string>, timeout: number, meta: Record<string, unknown> | undefined, json: Codec): Record<string, string> {
  if (timeout <= 0 && meta === undefined) return base;
  const headers = Object.assign({}, base);
  if (timeout > 0) headers[TIMEOUT_HEADER.toLowerCase()] = String(Math.ceil(timeout));
  if (meta !== undefined) headers[META_HEADER.toLowerCase()] = metaHeader(meta, json);
  return headers;
}

/** What an HTTP client (JSON-RPC or XML-RPC) is made with, checked by connect(). */
export interface HttpCallerConfig {
  url: string;
  key: Uint8Array | undefined;
  tls: ClientTlsOptions | undefined;
  /** Default per-call timeout (ms); 0 for none. */
  timeout: number;
  maxDepth: number;
  /** Largest response body read. */
  maxBodyBytes: number;
}

/**
 * An HTTP client's settings from connect()'s resolved options, for a URL whose scheme `secure`
 * says is TLS; tls options for a plain URL are a TypeError naming the URL.
 */
export function httpCallerConfig(url: string, options: ResolvedConnect, secure: RegExp, scheme: string): HttpCallerConfig {
  if (options.tls && !secure.test(url)) throw new TypeError(`tls options were given but ${url} is not an ${scheme} address`);
  return {
    url,
    key: options.key,
    tls: options.tls,
    timeout: options.timeout,
    maxDepth: options.limits.maxDepth,
    maxBodyBytes: options.limits.maxFrameBytes,
  };
}
