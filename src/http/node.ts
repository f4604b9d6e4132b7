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
import { AdmittedRequest, type HttpExchange, type HttpRpcCore } from "./rpc-core.js";

/** A node:http request listener that also fits Express/Connect's middleware signature. */
export type NodeHttpHandler = (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => void;

/**
 * Adapts `core` to node:http. A request without an `auth` function to wait for is admitted
 * synchronously, its body read by module-level listeners, and a protocol that answers at once
 * is written at once: no Promise per step, only where something really waits.
 */
export function nodeHandler(core: HttpRpcCore<IncomingMessage>): NodeHttpHandler {
  return (req, res, next) => {
    const exchange = new NodeExchange(req, res, core, next);
    (res as ExchangeResponse)[EXCHANGE] = exchange;
    res.on("close", onResponseClose);
    let admission: ReturnType<typeof core.admit>;
    try {
      admission = core.admit(exchange);
    } catch (err) {
      exchange.send(core.failed(exchange, err));
      return;
    }
    if (admission instanceof Promise) admission.then((a) => exchange.admitted(a), (err: unknown) => exchange.fail(err));
    else exchange.admitted(admission);
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
class NodeExchange implements HttpExchange<IncomingMessage>, BodyRead {
  readonly method: string;
  readonly peer: HttpExchange<IncomingMessage>["peer"];
  /** The caller went away before the answer was sent. */
  aborted = false;
  private controller: AbortController | undefined;

  /** The body read so far, while it is read for the admitted request. */
  chunks: Buffer[] = [];
  size = 0;
  max = 0;
  private admission: AdmittedRequest<IncomingMessage> | undefined;

  constructor(
    readonly request: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly core: HttpRpcCore<IncomingMessage>,
    private readonly next: ((error?: unknown) => void) | undefined,
  ) {
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
    return new Promise((resolve, reject) => readBody(this.request, max, { chunks: [], size: 0, max, bodyRead: resolve, bodyFailed: reject }));
  }

  /** What the core made of the request: an answer to send, or a body to read and answer. */
  admitted(admission: HttpAnswer | AdmittedRequest<IncomingMessage>): void {
    if (!(admission instanceof AdmittedRequest)) return this.send(admission);
    this.admission = admission;
    this.max = this.core.maxBodyBytes;
    readBody(this.request, this.max, this);
  }

  bodyRead(body: Uint8Array): void {
    let answer: HttpAnswer | Promise<HttpAnswer>;
    try {
      answer = this.admission!.protocol.answer(body, this.admission!);
    } catch (err) {
      return this.fail(err);
    }
    if (answer instanceof Promise) answer.then((a) => this.send(a), (err: unknown) => this.fail(err));
    else this.send(answer);
  }

  bodyFailed(err: unknown): void {
    let answer: HttpAnswer;
    try {
      answer = this.core.unreadable(this.admission!, err);
    } catch (other) {
      return this.fail(other);
    }
    this.send(answer);
  }

  /** Answering failed unexpectedly: 500, logged by the core. */
  fail(err: unknown): void {
    this.send(this.core.failed(this, err));
  }

  /** Sends `answer` within the server's write budget; a failure to send goes to `next` (Express) or ends the response. */
  send(answer: HttpAnswer): void {
    try {
      writeAnswer(this.res, withinBudget(this.core, this.res, answer));
    } catch (err) {
      if (this.next) this.next(err);
      else this.res.destroy(err as Error);
    }
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

/**
 * Sends `answer` unless the caller is gone. The headers go to writeHead as one flat list with
 * the Content-Length, so node builds the head without a setHeader per name and writes head
 * and body in one go.
 */
export function writeAnswer(res: ServerResponse, answer: HttpAnswer): void {
  if (res.destroyed || res.headersSent) return;
  const headers: string[] = [];
  for (const name in answer.headers) headers.push(name, answer.headers[name]!);
  if (answer.close) headers.push("connection", "close");
  const body = answer.body;
  // A 204 has no body and must not carry a length.
  if (body) headers.push("content-length", String(body.length));
  res.writeHead(answer.status, headers);
  res.end(body);
}

/**
 * Reads the body of `req` into `read`, refusing it as soon as it passes `max` bytes. A body a
 * framework's parser read already (Express's `express.json()`, `express.raw()`) is taken
 * from `req.body`. The listeners are module-level and find the read through the request: no
 * closures per request.
 */
function readBody(req: IncomingMessage, max: number, read: BodyRead): void {
  if (req.readableEnded) return read.bodyRead(parsedBody((req as { body?: unknown }).body));
  read.max = max;
  (req as ReadingRequest)[BODY] = read;
  req.on("data", onBodyData);
  req.on("end", onBodyEnd);
  req.on("error", onBodyError);
  req.on("close", onBodyClose);
}

/** A body being read: what came so far, and who gets it. */
interface BodyRead {
  chunks: Buffer[];
  size: number;
  max: number;
  bodyRead(body: Uint8Array): void;
  bodyFailed(error: RpcError): void;
}

const BODY = Symbol("farcall.body");
type ReadingRequest = IncomingMessage & { [BODY]?: BodyRead | undefined };

/** Ends the read of `req`'s body: its listeners removed, its state dropped. */
function finishRead(req: ReadingRequest): BodyRead | undefined {
  const read = req[BODY];
  req[BODY] = undefined;
  req.removeListener("data", onBodyData);
  req.removeListener("end", onBodyEnd);
  req.removeListener("error", onBodyError);
  req.removeListener("close", onBodyClose);
  return read;
}

function onBodyData(this: ReadingRequest, chunk: Buffer): void {
  const read = this[BODY];
  if (!read) return;
  read.size += chunk.length;
  if (read.size > read.max) {
    finishRead(this);
    this.pause();
    read.bodyFailed(new RpcError("RESOURCE_EXHAUSTED", `request body exceeds maxBodyBytes ${read.max} (${read.size} B read so far)`));
    return;
  }
  read.chunks.push(chunk);
}

function onBodyEnd(this: ReadingRequest): void {
  const read = finishRead(this);
  if (!read) return;
  const chunks = read.chunks;
  read.chunks = [];
  read.bodyRead(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, read.size));
}

function onBodyError(this: ReadingRequest, err: Error): void {
  finishRead(this)?.bodyFailed(new RpcError("UNAVAILABLE", `request body could not be read: ${err.message}`));
}

function onBodyClose(this: ReadingRequest): void {
  finishRead(this)?.bodyFailed(new RpcError("UNAVAILABLE", "the caller went away while sending the body"));
}

/** A body some earlier middleware read: bytes, text, or a parsed JSON value. */
function parsedBody(body: unknown): Uint8Array {
  if (body instanceof Uint8Array) return body;
  if (typeof body === "string") return Buffer.from(body, "utf8");
  if (body === undefined) return new Uint8Array(0);
  return Buffer.from(JSON.stringify(body), "utf8");
}
