/**
 * A tiny JSON-RPC 2.0 client over a raw TCP socket, for the conformance suite: farcall has no
 * client for the one-port listener's raw JSON-RPC (a connection whose first byte is `{` or
 * `[`), so this one writes one JSON value per line and reads the server's answers, one per
 * line, pairing them with calls by id. Deadlines and cancellation are the caller's own
 * (JSON-RPC has no message for either); errors are rebuilt by the same table farcall's
 * clients use (src/jsonrpc/errors.ts).
 */
import { connect as tcpConnect, type Socket } from "node:net";
import { once } from "node:events";
import { RpcError } from "../../src/core/errors.js";
import type { BatchedCall, Caller, CallOptions } from "../../src/core/remote.js";
import { fromErrorObject } from "../../src/jsonrpc/errors.js";

interface Pending {
  target: string;
  resolve(value: unknown): void;
  reject(error: RpcError): void;
  timer: ReturnType<typeof setTimeout> | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

export class RawJsonRpcCaller implements Caller {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private buffered = "";
  private closed: RpcError | undefined;

  private constructor(private readonly socket: Socket) {
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => this.onData(chunk));
    socket.on("error", () => {}); // 'close' follows and fails what is pending
    socket.on("close", () => this.fail(new RpcError("UNAVAILABLE", "the server closed the connection")));
  }

  /** Opens a socket to `host:port`. */
  static async open(host: string, port: number): Promise<RawJsonRpcCaller> {
    const socket = tcpConnect(port, host);
    socket.setNoDelay(true);
    await once(socket, "connect");
    return new RawJsonRpcCaller(socket);
  }

  call(target: string, args: unknown[], options: CallOptions): Promise<unknown> {
    if (this.closed) return Promise.reject(this.closed);
    if (options.signal?.aborted) return Promise.reject(new RpcError("CANCELLED", `${target}: aborted before it was sent`));
    const id = this.nextId++;
    const promise = this.expect(id, target, options);
    this.write({ jsonrpc: "2.0", id, method: target, params: args });
    return promise;
  }

  notify(target: string, args: unknown[], _options: CallOptions, done?: (error?: RpcError) => void): void {
    const error = this.closed;
    if (!error) this.write({ jsonrpc: "2.0", method: target, params: args });
    if (done) queueMicrotask(() => done(error));
  }

  /** One JSON-RPC batch array: calls get ids, notifications go id-less. */
  batch(calls: readonly BatchedCall[]): void {
    const doc: unknown[] = [];
    for (const c of calls) {
      if (c.kind === "notify") {
        doc.push({ jsonrpc: "2.0", method: c.target, params: c.args });
        continue;
      }
      if (this.closed) {
        c.reject(this.closed);
        continue;
      }
      const id = this.nextId++;
      this.expect(id, c.target, c.options).then(c.resolve, c.reject);
      doc.push({ jsonrpc: "2.0", id, method: c.target, params: c.args });
    }
    if (doc.length > 0 && !this.closed) this.write(doc);
    for (const c of calls) if (c.kind === "notify") c.done?.(this.closed);
  }

  async close(): Promise<void> {
    this.fail(new RpcError("UNAVAILABLE", "the client was closed"));
    this.socket.destroy();
  }

  private expect(id: number, target: string, options: CallOptions): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const p: Pending = { target, resolve, reject, timer: undefined, signal: options.signal, onAbort: undefined };
      if (options.timeout) p.timer = setTimeout(() => this.settle(id, new RpcError("DEADLINE_EXCEEDED", `${target}: no answer within ${options.timeout} ms`)), options.timeout);
      if (options.signal) {
        p.onAbort = () => this.settle(id, new RpcError("CANCELLED", `${target}: cancelled by the caller`));
        options.signal.addEventListener("abort", p.onAbort, { once: true });
      }
      this.pending.set(id, p);
    });
  }

  private write(doc: unknown): void {
    this.socket.write(`${JSON.stringify(doc)}\n`);
  }

  private onData(chunk: string): void {
    this.buffered += chunk;
    let nl: number;
    while ((nl = this.buffered.indexOf("\n")) >= 0) {
      const line = this.buffered.slice(0, nl);
      this.buffered = this.buffered.slice(nl + 1);
      if (line.trim() === "") continue;
      const doc: unknown = JSON.parse(line);
      for (const response of Array.isArray(doc) ? doc : [doc]) this.onResponse(response as Record<string, unknown>);
    }
  }

  private onResponse(response: Record<string, unknown>): void {
    if (typeof response.id !== "number" || !this.pending.has(response.id)) {
      // An answer to no call (a notification answered, say): the server broke the protocol.
      this.fail(new RpcError("INTERNAL", `an answer to no call in flight: ${JSON.stringify(response)}`));
      return;
    }
    if ("error" in response) this.settle(response.id, fromErrorObject(response.error));
    else this.settle(response.id, undefined, response.result);
  }

  private settle(id: number, error: RpcError | undefined, value?: unknown): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    if (p.onAbort) p.signal!.removeEventListener("abort", p.onAbort);
    if (error) p.reject(error);
    else p.resolve(value);
  }

  private fail(error: RpcError): void {
    this.closed ??= error;
    for (const id of [...this.pending.keys()]) this.settle(id, error);
  }
}
