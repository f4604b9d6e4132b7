/**
 * connect()'s dialer for `jsonrpc+ws://` and `jsonrpc+wss://` URLs: JSON-RPC 2.0 over one
 * WebSocket (subprotocol "jsonrpc-2.0"), one text message per request, notification or
 * batch, answers paired with calls by id. Plain JSON (a farcall server's JSON-RPC over
 * WebSocket is plain JSON too), so any JSON-RPC 2.0 WebSocket server can be called.
 *
 * The protocol has no cancellation: a call given up on (timeout, AbortSignal) rejects at
 * once and its late answer is dropped. A dropped socket fails the calls in flight with
 * UNAVAILABLE; the next call opens a new one, as farcall's client does: with waitForReady
 * (the default) a call made while there is no socket waits for one within its deadline (or
 * connectTimeoutMs), attempts spaced by the reconnect backoff; without it, a call made
 * while the last attempt failed fails at once with UNAVAILABLE.
 *
 * An error answer with id null (the server could not read a request's id) fails only what
 * it can be matched to: inside a batch's answer, that batch's calls left unanswered; alone,
 * the one message (call or batch) awaiting an answer, when there is exactly one. Otherwise
 * it is logged and every call keeps waiting for its own answer or deadline.
 */
import type { WebSocket, RawData } from "ws";
import { createJsonCodec } from "../codecs/json-ext.js";
import type { Codec } from "../core/codec.js";
import { RpcError } from "../core/errors.js";
import { unrefTimer } from "../core/runtime.js";
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
  /** The socket its request went out on, once sent: that socket's end fails it. */
  socket?: WebSocket;
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
  /** The ids sent in one message with each pending call (itself alone, or its batch). */
  private readonly messageOf = new Map<number, readonly number[]>();
  private socket: WebSocket | undefined;
  /** The attempts to open a socket under way (one at a time, the backoff between them). */
  private connecting: Promise<WebSocket> | undefined;
  /** The attempt under way, or the last one (what a call without waitForReady waits for). */
  private attempt: Promise<WebSocket> | undefined;
  private failures = 0;
  private lastError: RpcError | undefined;
  /** No attempt before this time (ms since the epoch): the backoff after a failure. */
  private nextAttemptAt = 0;
  /** Calls and notifications waiting for a socket. */
  private waiting = 0;
  private nextId = 1;
  private closed = false;

  constructor(private readonly url: string, private readonly socketUrl: string, private readonly options: ResolvedConnect) {
    this.codec = createJsonCodec({ extended: false, maxDepth: options.limits.maxDepth });
  }

  async call(target: string, args: unknown[], options: CallOptions): Promise<unknown> {
    if (target === LIST_METHODS) return methodsOf(await this.call(DISCOVER_METHOD, [], options));
    const id = this.nextId++;
    const answer = this.expect(id, target, options);
    this.messageOf.set(id, [id]);
    this.send(buildRequest(id, target, args), [id], target, options).catch((err: unknown) => this.settle(id, RpcError.from(err)));
    return answer;
  }

  notify(target: string, args: unknown[], options: CallOptions, done?: (error?: RpcError) => void): void {
    this.send(buildNotification(target, args), NO_IDS, target, options).then(() => done?.(), (err: RpcError) => done?.(err));
  }

  batch(calls: readonly BatchedCall[]): void {
    const { requests, ids } = batchRequests(calls, this.nextId);
    this.nextId += ids.length;
    let next = 0;
    for (const c of calls) {
      if (c.kind === "notify") continue;
      this.messageOf.set(ids[next]!, ids);
      this.expect(ids[next++]!, c.target, c.options).then((v) => c.resolve(c.target === LIST_METHODS ? methodsOf(v) : v), c.reject);
    }
    let doc: JsonRpcRequest[];
    try {
      doc = buildBatch(requests);
    } catch (err) {
      for (const c of calls) if (c.kind === "notify") c.done?.(RpcError.from(err));
      return;
    }
    const first = calls[0];
    this.send(doc, ids, "batch", first?.options ?? {}).then(
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
    // An attempt under way sees `closed` when it ends, and closes what it opened.
    socket?.close(1000);
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
    this.messageOf.delete(id);
    p.done();
    p.reject(error);
  }

  private failAll(error: RpcError): void {
    for (const id of [...this.pending.keys()]) this.settle(id, error);
  }

  /** Sends one document, waiting for a socket if there is none; rejects with an RpcError. */
  private async send(doc: unknown, ids: readonly number[], target: string, options: CallOptions): Promise<void> {
    if (this.closed) throw new RpcError("UNAVAILABLE", `the client of ${this.url} was closed`);
    const bytes = this.codec.encode(doc);
    if (bytes.length > this.options.limits.maxFrameBytes) throw new RpcError("RESOURCE_EXHAUSTED", `request of ${bytes.length} B exceeds maxFrameBytes ${this.options.limits.maxFrameBytes}`);
    // A socket that began closing (the server said goodbye) takes nothing more: its close
    // event, still to come, fails what went out on it, and nothing else.
    const open = this.socket !== undefined && this.socket.readyState === this.socket.OPEN ? this.socket : undefined;
    const socket = open ?? (await this.ready(target, options));
    for (const id of ids) {
      const p = this.pending.get(id);
      if (p) p.socket = socket;
    }
    socket.send(bytes, { binary: false });
  }

  /** A socket for a call made while there is none, by waitForReady's rule (see the top). */
  private async ready(target: string, options: CallOptions): Promise<WebSocket> {
    const { waitForReady, reconnect } = this.options;
    if (this.failures > 0 && (!waitForReady || !reconnect)) {
      if (reconnect) void this.connect().catch(() => undefined); // in the background, after its backoff
      throw new RpcError("UNAVAILABLE", `${target}: not connected to ${this.url}${waitForReady ? "" : " (waitForReady: false)"}: ${this.lastError?.message ?? "no connection"}`);
    }
    const timeout = options.timeout ?? this.options.timeout;
    const waitMs = timeout > 0 ? timeout : this.options.connectTimeoutMs;
    const connected = this.connect();
    // Without waitForReady only the attempt under way is waited for, not the ones after it.
    const awaited = waitForReady ? connected : this.attempt!;
    this.waiting++;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      return await Promise.race([
        awaited,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            const why = this.lastError ? `: ${this.lastError.message}` : "";
            reject(timeout > 0 ? new RpcError("DEADLINE_EXCEEDED", `${target}: no connection to ${this.url} before the deadline${why}`) : new RpcError("UNAVAILABLE", `${target}: no connection to ${this.url} within ${waitMs} ms${why}`));
          }, waitMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
      this.waiting--;
    }
  }

  /** The attempts under way, or new ones: each after the backoff, until one opens, nobody waits, or the client closes. */
  private connect(): Promise<WebSocket> {
    if (this.connecting) return this.connecting;
    const connecting = this.connectLoop();
    this.connecting = connecting;
    const clear = (): void => {
      if (this.connecting === connecting) this.connecting = undefined;
    };
    connecting.then(clear, clear);
    return connecting;
  }

  private async connectLoop(): Promise<WebSocket> {
    for (;;) {
      const wait = this.nextAttemptAt - Date.now();
      if (wait > 0) await sleep(wait);
      if (this.closed) throw new RpcError("UNAVAILABLE", `the client of ${this.url} was closed`);
      const attempt = this.open();
      this.attempt = attempt;
      try {
        const socket = await attempt;
        if (this.closed) {
          socket.close(1000);
          throw new RpcError("UNAVAILABLE", `the client of ${this.url} was closed`);
        }
        this.failures = 0;
        this.lastError = undefined;
        this.socket = socket;
        return socket;
      } catch (err) {
        if (this.closed) throw err;
        const error = RpcError.from(err);
        this.failures++;
        this.lastError = error;
        const reconnect = this.options.reconnect;
        if (!reconnect) throw error;
        this.nextAttemptAt = Date.now() + Math.min(reconnect.maxDelayMs, reconnect.initialDelayMs * 2 ** Math.min(this.failures - 1, 30));
        // Attempts go on only while a call waits for them (the next call starts them again).
        if (this.waiting === 0 || !this.options.waitForReady) throw error;
      }
    }
  }

  private open(): Promise<WebSocket> {
    return openWebSocketAs(this.socketUrl, JSONRPC_WS_PROTOCOL, { maxFrameBytes: this.options.limits.maxFrameBytes, timeoutMs: this.options.connectTimeoutMs, tls: this.options.tls }, (socket) => {
      socket.on("message", (data: RawData) => this.onMessage(data as Buffer));
      socket.on("error", () => {}); // 'close' follows, and says why
      socket.once("close", (code: number, reason: Buffer) => {
        if (this.socket === socket) this.socket = undefined;
        const why = reason.length > 0 ? `: ${reason.toString("utf8")}` : "";
        const error = new RpcError("UNAVAILABLE", `websocket to ${this.url} closed (${code}${why})`);
        for (const [id, p] of [...this.pending]) if (p.socket === socket) this.settle(id, error);
      });
      return socket;
    });
  }

  private onMessage(data: Buffer): void {
    let doc: unknown;
    try {
      doc = this.codec.decode(data);
    } catch (err) {
      this.failAll(new RpcError("INTERNAL", `${this.url} sent a message that is not JSON: ${RpcError.from(err).message}`));
      return;
    }
    const ids = this.answeredBy(doc);
    if (ids === undefined) return;
    for (const [id, outcome] of parseResponse(doc, ids)) {
      const p = this.pending.get(id as number)!;
      this.pending.delete(id as number);
      this.messageOf.delete(id as number);
      p.done();
      if (outcome.ok) p.resolve(outcome.value);
      else p.reject(outcome.error);
    }
  }

  /**
   * The pending calls `doc` answers: those it names, and, by the rule at the top, those an
   * error with id null is matched to; undefined when it answers none (a late answer to a call
   * given up on is dropped; an id-null error matched to nothing is logged).
   */
  private answeredBy(doc: unknown): readonly number[] | undefined {
    const items = Array.isArray(doc) ? doc : [doc];
    const named = items.flatMap((item) => (isJsonObject(item) && typeof item.id === "number" && this.pending.has(item.id) ? [item.id] : []));
    const unattributed = items.some((item) => isJsonObject(item) && item.id === null && "error" in item);
    if (!unattributed) return named.length > 0 ? named : undefined;
    // An array answers one batch: the batch of a call it names. Otherwise the error belongs
    // to the one message awaiting an answer, if there is just one.
    const messages = new Set(this.messageOf.values());
    const message = Array.isArray(doc) && named.length > 0 ? this.messageOf.get(named[0]!) : messages.size === 1 ? [...messages][0] : undefined;
    if (message !== undefined) return [...new Set([...named, ...message.filter((id) => this.pending.has(id))])];
    this.options.logger.warn(`${this.url} sent an error with id null that matches none of the ${messages.size} messages awaiting answers: ${JSON.stringify(doc).slice(0, 200)}`);
    return named.length > 0 ? named : undefined;
  }
}

const NO_IDS: readonly number[] = [];

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => unrefTimer(setTimeout(resolve, ms)));
}
