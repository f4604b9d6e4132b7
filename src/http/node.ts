/**
 * An HttpRpcCore as a node:http request handler: for http.createServer, and as
 * Express/Connect middleware (mount it at a path: `app.use("/rpc", httpHandler(api))`).
 * The rules are rpc-core.ts's.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { TLSSocket } from "node:tls";
import { RpcError } from "../core/errors.js";
import type { HttpAnswer } from "./protocol.js";
import { drainOf } from "./drain.js";
import type { HttpExchange, HttpRpcCore } from "./rpc-core.js";

/** A node:http request listener that also fits Express/Connect's middleware signature. */
export type NodeHttpHandler = (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => void;

/** Adapts `core` to node:http. */
export function nodeHandler(core: HttpRpcCore<IncomingMessage>): NodeHttpHandler {
  return (req, res, next) => {
    const exchange = new NodeExchange(req);
    (res as ExchangeResponse)[EXCHANGE] = exchange;
    res.on("close", onResponseClose);
    core.handle(exchange).then(
      (answer) => writeAnswer(res, withinBudget(core, res, answer)),
      (err: unknown) => (next ? next(err) : res.destroy(err as Error)),
    );
  };
}

/** The exchange a response answers, for the module-level close listener. */
const EXCHANGE = Symbol("farcall.exchange");
type ExchangeResponse = ServerResponse & { [EXCHANGE]?: NodeExchange };

/** The caller's address, worked out once per connection rather than once per request. */
const PEER = Symbol("farcall.peer");
type PeerSocket = IncomingMessage["socket"] & { [PEER]?: HttpExchange<IncomingMessage>["peer"] };

function onResponseClose(this: ExchangeResponse): void {
  // The answer was not fully sent: the caller went away (or the socket died).
  if (!this.writableFinished) this[EXCHANGE]?.callerGone();
}

/**
 * One request. Its AbortSignal is made only when something reads it (a handler's
 * context().signal): most handlers never look, and an AbortController per request was the
 * largest single cost of the HTTP path. A caller that leaves first is remembered and the
 * signal, when made, starts aborted.
 */
class NodeExchange implements HttpExchange<IncomingMessage> {
  readonly method: string;
  readonly peer: HttpExchange<IncomingMessage>["peer"];
  /** The caller went away before the answer was sent. */
  aborted = false;
  private controller: AbortController | undefined;

  constructor(readonly request: IncomingMessage) {
    this.method = request.method ?? "GET";
    const socket = request.socket as PeerSocket;
    this.peer = socket[PEER] ??= {
      transport: (socket as TLSSocket).encrypted ? "https" : "http",
      address: socket.remoteAddress ?? "unknown",
      ...(socket.remotePort !== undefined ? { port: socket.remotePort } : {}),
    };
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort();
    }
    return this.controller.signal;
  }

  callerGone(): void {
    this.aborted = true;
    this.controller?.abort();
  }

  header(name: string): string | undefined {
    return headerOf(this.request, name);
  }

  readBody(max: number): Promise<Uint8Array> {
    return readBody(this.request, max);
  }
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(", ") : v;
}

/**
 * `answer`, or a RESOURCE_EXHAUSTED refusal when its body would take the server's queued
 * answer bytes past maxServerWriteBufferBytes (counted until the response is sent).
 */
function withinBudget(core: HttpRpcCore<IncomingMessage>, res: ServerResponse, answer: HttpAnswer): HttpAnswer {
  const drain = drainOf(res);
  const over = drain && answer.body ? drain.charge(res, answer.body.length) : undefined;
  return over === undefined ? answer : core.overBudget(answer.body!.length, over);
}

/** Sends `answer` unless the caller is gone. */
export function writeAnswer(res: ServerResponse, answer: HttpAnswer): void {
  if (res.destroyed || res.headersSent) return;
  res.statusCode = answer.status;
  for (const name in answer.headers) res.setHeader(name, answer.headers[name]!);
  if (answer.close) res.setHeader("connection", "close");
  res.end(answer.body);
}

/**
 * The body of `req`, refusing it as soon as it passes `max` bytes. A body a framework's
 * parser read already (Express's `express.json()`, `express.raw()`) is taken from `req.body`.
 */
function readBody(req: IncomingMessage, max: number): Promise<Uint8Array> {
  if (req.readableEnded) return Promise.resolve(parsedBody((req as { body?: unknown }).body));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = (): void => {
      req.removeListener("data", onData);
      req.removeListener("end", onEnd);
      req.removeListener("error", onError);
      req.removeListener("close", onClose);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > max) {
        cleanup();
        req.pause();
        reject(new RpcError("RESOURCE_EXHAUSTED", `request body exceeds maxBodyBytes ${max} (${size} B read so far)`));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(new RpcError("UNAVAILABLE", `request body could not be read: ${err.message}`));
    };
    const onClose = (): void => {
      cleanup();
      reject(new RpcError("UNAVAILABLE", "the caller went away while sending the body"));
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
    req.on("close", onClose);
  });
}

/** A body some earlier middleware read: bytes, text, or a parsed JSON value. */
function parsedBody(body: unknown): Uint8Array {
  if (body instanceof Uint8Array) return body;
  if (typeof body === "string") return Buffer.from(body, "utf8");
  if (body === undefined) return new Uint8Array(0);
  return Buffer.from(JSON.stringify(body), "utf8");
}
