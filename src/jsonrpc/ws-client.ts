/**
 * connect()'s dialer for `jsonrpc+ws://` and `jsonrpc+wss://` URLs: JSON-RPC 2.0 over one
 * WebSocket (subprotocol "jsonrpc-2.0"), one text message per request, notification or
 * batch, answers paired with calls by id. Plain JSON (a farcall server's JSON-RPC over
 * WebSocket is plain JSON too), so any JSON-RPC 2.0 WebSocket server can be called.
 *
 * The protocol has no cancellation: a call given up on (timeout, AbortSignal) rejects at
 * once and its late answer is dropped. A dropped socket fails the calls in flight with
 * UNAVAILABLE; the next call opens a new one.
 */
import type { WebSocket, RawData } from "ws";
import { createJsonCodec } from "../codecs/json-ext.js";
import type { Codec } from "../core/codec.js";
import { RpcError } from "../core/errors.js";
import { LIST_METHODS } from "../core/messages.js";
import type { BatchedCall, CallOptions, Caller } from "../core/remote.js";
import type { ResolvedConnect } from "../connect-options.js";
import { openWebSocketAs } from "../ws/dial.js";
import { batchRequests, buildBatch, buildNotification, buildRequest, parseResponse } from "./client-protocol.js";
import { isJsonObject, type JsonRpcRequest } from "./document.js";
import { DISCOVER_METHOD } from "./protocol.js";
import { JSONRPC_WS_PROTOCOL } from "./ws-session.js";
import { methodsOf } from "./http-client.js";

/** True for the URLs this dialer takes. */
export function isJsonRpcWsUrl(url: string): boolean {
  return /^jsonrpc\+wss?:\/\//i.test(url);
}

/** One call waiting for its answer. */
interface Pending {
  resolve(value: unknown): void;
  reject(error: RpcError): void;
  /** Clears its timer and abort listener. */
  done(): void;
}

/** A JSON-RPC 2.0 client over WebSocket for `url` (jsonrpc+ws:// or jsonrpc+wss://). */
export function jsonRpcWsCaller(url: string, options: ResolvedConnect): Caller {
  const socketUrl = url.replace(/^jsonrpc\+/i, "");
  const u = new URL(socketUrl);
  if (u.username !== "" || u.password !== "") throw new TypeError(`${url}: URLs carry no credentials`);
  if (options.key) throw new TypeError(`authkey has no meaning on ${url}: JSON-RPC over WebSocket carries no credentials (use wss:// and the server's allow list, or ws:// with farcall/1)`);
  if (options.tls && u.protocol !== "wss:") throw new TypeError(`tls options were given but ${url} is not a jsonrpc+wss:// address`);
  return new JsonRpcWsCaller(url, socketUrl, options);
}

class JsonRpcWsCaller implements Caller {
  private readonly codec: Codec;
  private readonly pending = new Map<number, Pending>();
  private socket: Promise<WebSocket> | undefined;
  private nextId = 1;
  private closed = false;

  constructor(private readonly url: string, private readonly socketUrl: string, private readonly options: ResolvedConnect) {
    this.codec = createJsonCodec({ extended: false, maxDepth: options.limits.maxDepth });
  }

  async call(target: string, args: unknown[], options: CallOptions): Promise<unknown> {
    if (target === LIST_METHODS) return methodsOf(await this.call(DISCOVER_METHOD, [], options));
    const id = this.nextId++;
    const answer = this.expect(id, target, options);
    this.send(buildRequest(id, target, args)).catch((err: unknown) => this.settle(id, RpcError.from(err)));
    return answer;
  }

  notify(target: string, args: unknown[], _options: CallOptions, done?: (error?: RpcError) => void): void {
    this.send(buildNotification(target, args)).then(() => done?.(), (err: RpcError) => done?.(err));
  }

  batch(calls: readonly BatchedCall[]): void {
    const { requests, ids } = batchRequests(calls, this.nextId);
    this.nextId += ids.length;
    let next = 0;
    for (const c of calls) {
      if (c.kind === "notify") continue;
      this.expect(ids[next++]!, c.target, c.options).then((v) => c.resolve(c.target === LIST_METHODS ? methodsOf(v) : v), c.reject);
    }
    let doc: JsonRpcRequest[];
    try {
      doc = buildBatch(requests);
    } catch (err) {
      for (const c of calls) if (c.kind === "notify") c.done?.(RpcError.from(err));
      return;
    }
    this.send(doc).then(
      () => {
        for (const c of calls) if (c.kind === "notify") c.done?.();
      },
      (err: RpcError) => {
        for (const id of ids) this.settle(id, err);
        for (const c of calls) if (c.kind === "notify") c.done?.(err);
      },
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    const socket = this.socket;
    this.socket = undefined;
    this.failAll(new RpcError("UNAVAILABLE", `the client of ${this.url} was closed`));
    (await socket?.catch(() => undefined))?.close(1000);
  }

  /** Registers call `id`; the promise settles from its answer, its deadline, its signal or the socket's end. */
  private expect(id: number, target: string, options: CallOptions): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const timeout = options.timeout ?? this.options.timeout;
      const signal = options.signal;
      const timer = timeout > 0 ? setTimeout(() => this.settle(id, new RpcError("DEADLINE_EXCEEDED", `${target}: no answer within ${timeout} ms`)), timeout) : undefined;
      const onAbort = (): void => this.settle(id, new RpcError("CANCELLED", `${target}: cancelled by its AbortSignal`));
      if (signal?.aborted) return reject(new RpcError("CANCELLED", `${target}: cancelled by its AbortSignal`));
      signal?.addEventListener("abort", onAbort, { once: true });
      this.pending.set(id, {
        resolve,
        reject,
        done: () => {
          if (timer) clearTimeout(timer);
          signal?.removeEventListener("abort", onAbort);
        },
      });
    });
  }

  /** Settles call `id` with `error`, if it still waits. */
  private settle(id: number, error: RpcError): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    p.done();
    p.reject(error);
  }

  private failAll(error: RpcError): void {
    for (const id of [...this.pending.keys()]) this.settle(id, error);
  }

  /** Sends one document, opening the socket first if there is none; rejects with an RpcError. */
  private async send(doc: unknown): Promise<void> {
    if (this.closed) throw new RpcError("UNAVAILABLE", `the client of ${this.url} was closed`);
    const bytes = this.codec.encode(doc);
    if (bytes.length > this.options.limits.maxFrameBytes) throw new RpcError("RESOURCE_EXHAUSTED", `request of ${bytes.length} B exceeds maxFrameBytes ${this.options.limits.maxFrameBytes}`);
    const socket = await (this.socket ??= this.open());
    socket.send(bytes, { binary: false });
  }

  private open(): Promise<WebSocket> {
    const opening = openWebSocketAs(this.socketUrl, JSONRPC_WS_PROTOCOL, { maxFrameBytes: this.options.limits.maxFrameBytes, timeoutMs: this.options.connectTimeoutMs, tls: this.options.tls }, (socket) => {
      socket.on("message", (data: RawData) => this.onMessage(data as Buffer));
      socket.on("error", () => {}); // 'close' follows, and says why
      socket.once("close", (code: number, reason: Buffer) => {
        if (this.socket === opening) this.socket = undefined;
        const why = reason.length > 0 ? `: ${reason.toString("utf8")}` : "";
        this.failAll(new RpcError("UNAVAILABLE", `websocket to ${this.url} closed (${code}${why})`));
      });
      return socket;
    });
    // A failed open is reported to the calls waiting on it; the next call tries again.
    opening.catch((err: unknown) => {
      if (this.socket === opening) this.socket = undefined;
      this.failAll(RpcError.from(err));
    });
    return opening;
  }

  private onMessage(data: Buffer): void {
    let doc: unknown;
    try {
      doc = this.codec.decode(data);
    } catch (err) {
      this.failAll(new RpcError("INTERNAL", `${this.url} sent a message that is not JSON: ${RpcError.from(err).message}`));
      return;
    }
    const items = Array.isArray(doc) ? doc : [doc];
    // Answers name their call; an error with id null (the server could not read a request)
    // names none, so it fails every call in flight rather than leave one waiting forever.
    const ids = items.flatMap((item) => (isJsonObject(item) && typeof item.id === "number" && this.pending.has(item.id) ? [item.id] : []));
    if (ids.length === 0) {
      // Answers to calls given up on are dropped.
      const unread = items.find((item) => isJsonObject(item) && item.id === null && "error" in item);
      if (unread !== undefined) this.failAll((parseResponse(unread, [null]).get(null) as { error: RpcError }).error);
      return;
    }
    for (const [id, outcome] of parseResponse(doc, ids)) {
      const p = this.pending.get(id as number)!;
      this.pending.delete(id as number);
      p.done();
      if (outcome.ok) p.resolve(outcome.value);
      else p.reject(outcome.error);
    }
  }
}
