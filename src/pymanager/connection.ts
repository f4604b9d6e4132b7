/**
 * One socket of a Python manager listener: the mutual authkey handshake (the server
 * challenges first, then answers the client's challenge, as managers.py's `Server`
 * does), then one request (or, after `accept_connection`, a stream of them), strictly
 * request then reply. An integer state drives the handshake; the handshake time limit is
 * one timer per connection. The idle limit is one more timer that, when it fires, looks at
 * when the connection last read or wrote and arms itself again for the rest: the socket's
 * own inactivity timer would be moved on every read and every write, twice per operation.
 */
import type { Socket } from "node:net";
import { decodePickle, encodePickle, pickleTuple, type PickleTuple } from "./pickle/pickle.js";
import { RpcError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import { serverTraceback, tracebackReply } from "./errors.js";
import { pyRepr } from "./repr.js";
import type { PyManagerConnection, PyManagerReply, PyManagerService } from "./server.js";
import { answerChallenge, FAILURE, HANDSHAKE_FRAME_BYTES, isWelcome, makeChallenge, verifyResponse, WELCOME } from "./auth.js";
import { FRAME_HEADROOM, framed, PyFrameReader, pyFrame } from "./framing.js";
import { PROXY_CLASSES, takeProxies } from "./proxy-argument.js";
import type { StoredProxy } from "./shared/py-values.js";
import type { RequestDecoding } from "./request-globals.js";
import type { QuickAck } from "./quickack.js";
import { readAccepted } from "../net/accepted-input.js";
import { decodeSmallRequest, NOT_SMALL_REQUEST } from "./pickle/request-small.js";

/** Limits of one connection (documented with their defaults on PyManagerListenOptions). */
export interface PyConnectionLimits {
  maxFrameBytes: number;
  handshakeTimeoutMs: number;
  idleTimeoutMs: number;
  /** Acknowledges each read at once (see pymanager-quickack.ts); absent where unavailable. */
  quickAck: QuickAck | undefined;
  /** The globals requests may name, with the listener's own classes. */
  decoding: RequestDecoding;
}

/** Python clients never send a request before the reply to the previous one; this bounds a peer that does. */
const MAX_QUEUED_REQUESTS = 16;

/** A bare HMAC-MD5 handshake answer; 3.12+ answer `{sha256}` and a longer digest. */
const MD5_RESPONSE_BYTES = 16;

/**
 * Reply encodings by protocol, made once: room for the frame header, and Python 2.7's plain
 * 'text' (it alone asks in protocol 2) sent back as its native str, not unicode.
 */
const REPLY_OPTIONS = {
  2: { protocol: 2, asciiAsNativeStr: true, headroom: FRAME_HEADROOM },
  3: { protocol: 3, asciiAsNativeStr: true, headroom: FRAME_HEADROOM },
  4: { protocol: 4, asciiAsNativeStr: true, headroom: FRAME_HEADROOM },
} as const;

/** What decode() returns for a request it refused (and answered). */
const REFUSED: unique symbol = Symbol("refused");

/** How the decoder refuses a global outside the allow-list. */
const REFUSED_GLOBAL = /^pickle refused: global \S+ is not allowed$/;

/** Why a global was refused, in the words its kind needs. */
function whyRefused(message: string): string {
  if (/\.\w+Proxy is not allowed$/.test(message)) {
    return `a stored proxy must be one of multiprocessing.managers' own classes (${PROXY_CLASSES.join(", ")})`;
  }
  return "this server runs no Python code, so it cannot call a Python callable or rebuild an object of a class it does not know";
}

const enum State { AwaitResponse, AwaitChallenge, AwaitVerdict, Ready, Closed }

export class PyManagerSocket implements PyManagerConnection {
  stream = false;
  private readonly closing = new AbortController();
  readonly signal: AbortSignal = this.closing.signal;
  private state = State.AwaitResponse;
  private readonly reader: PyFrameReader;
  private readonly challenge = makeChallenge();
  private readonly handshakeTimer: ReturnType<typeof setTimeout>;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  /** Date.now() of the last bytes read or reply written. */
  private lastActive = Date.now();
  /** Requests that arrived while one was running, read from `queueHead` on (no shift()). */
  private queue: Buffer[] = [];
  private queueHead = 0;
  private busy = false;
  /** Replies use the client's pickle protocol, capped at 4: Python 2.7 reads only 0-2. */
  replyProtocol: 2 | 3 | 4 = 4;
  /** The client answered the handshake with a bare HMAC-MD5, as Python before 3.12 does. */
  before312 = false;
  /** The proxies of the request about to run (see proxy-binding.ts). */
  proxies: StoredProxy[] | undefined;
  /** The request being answered, decoded again only where Python 2.7's str and unicode differ. */
  private current: Buffer | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly service: PyManagerService,
    private readonly key: Uint8Array,
    private readonly limits: PyConnectionLimits,
    private readonly logger: Logger,
    readonly peer: PyManagerConnection["peer"],
    readonly address: PyManagerConnection["address"],
    private readonly onClosed: (conn: PyManagerSocket) => void,
    private readonly onShutdown: () => void,
  ) {
    this.reader = new PyFrameReader(HANDSHAKE_FRAME_BYTES, "the handshake frame limit", (body) => this.onFrame(body), (error) => this.fail(error));
    this.handshakeTimer = setTimeout(() => this.abandon(`no handshake within handshakeTimeoutMs ${limits.handshakeTimeoutMs}`), limits.handshakeTimeoutMs);
    const { quickAck } = limits;
    // The frame reader keeps views of what it is given (a frame's start, a body handed on): a
    // reused read is copied, one allocation of the read's size as Node's own reads make.
    readAccepted(socket, quickAck === undefined ? (chunk, reused) => this.read(reused ? Buffer.from(chunk) : chunk) : (chunk, reused) => {
      // The stall is the client's handshake and one-shot request written in two pieces; on
      // a stream each request is one write, so the syscall per read is no longer needed.
      if (!this.stream) quickAck(socket);
      this.read(reused ? Buffer.from(chunk) : chunk);
    });
    socket.on("error", () => this.socket.destroy()); // 'close' follows and does the cleanup
    socket.on("close", () => this.cleanup());
    this.armIdle(limits.idleTimeoutMs);
    // The manager protocol's server speaks first.
    socket.write(pyFrame(this.challenge.frame));
  }

  nativeStrArgs(): unknown[] | undefined {
    if (this.current === undefined) return undefined;
    try {
      const request = decodePickle(this.current, this.limits.decoding.nativeStr);
      return Array.isArray(request) && Array.isArray(request[2]) ? request[2] : undefined;
    } catch {
      // What the first decode accepted may still name a global refusing bytes (array.array's typecode): no second opinion then.
      return undefined;
    }
  }

  /** Closes the connection now. */
  destroy(): void {
    this.socket.destroy();
  }

  private read(chunk: Buffer): void {
    this.lastActive = Date.now();
    this.reader.push(chunk);
  }

  private armIdle(ms: number): void {
    // Unref'd, as a socket's own timeout is: an idle client alone keeps no process alive. The
    // check waits for the check phase: timers run before the event loop reads its sockets, so
    // a process that stood still past the limit would otherwise close a connection whose
    // request arrived in time and is waiting, unread, in its socket.
    this.idleTimer = setTimeout(() => setImmediate(() => this.idleCheck()), ms).unref();
  }

  private idleCheck(): void {
    if (this.state === State.Closed) return;
    const limit = this.limits.idleTimeoutMs;
    const quiet = Date.now() - this.lastActive;
    // A call still running (a Queue.get that waits) is not idleness: look again a whole period on.
    if (this.busy) this.armIdle(limit);
    else if (quiet < limit) this.armIdle(limit - quiet);
    else this.abandon(`idle for idleTimeoutMs ${limit}`);
  }

  private where(): string {
    return `pymanager client ${this.peer.address}:${this.peer.port ?? ""}`;
  }

  private onFrame(body: Buffer): void {
    switch (this.state) {
      case State.AwaitResponse:
        if (!verifyResponse(this.key, this.challenge.message, body)) {
          this.logger.warn(`${this.where()}: authentication failed (wrong authkey)`);
          // As Python's server does: the verdict, then a traceback the client may log.
          this.socket.write(pyFrame(FAILURE));
          this.socket.end(pyFrame(encodePickle(tracebackReply("multiprocessing.AuthenticationError: digest received was wrong"))));
          this.close();
          return;
        }
        this.before312 = body.length === MD5_RESPONSE_BYTES;
        this.socket.write(pyFrame(WELCOME));
        this.state = State.AwaitChallenge;
        return;
      case State.AwaitChallenge: {
        const answer = answerChallenge(this.key, body);
        if (answer === undefined) return this.abandon("the client's challenge is malformed");
        this.socket.write(pyFrame(answer));
        this.state = State.AwaitVerdict;
        return;
      }
      case State.AwaitVerdict:
        if (!isWelcome(body)) return this.abandon("the client refused our answer to its challenge");
        clearTimeout(this.handshakeTimer);
        this.reader.setLimit(this.limits.maxFrameBytes, "maxFrameBytes");
        this.state = State.Ready;
        return;
      case State.Ready:
        if (this.busy) {
          if (this.queue.length - this.queueHead >= MAX_QUEUED_REQUESTS) return this.abandon(`more than ${MAX_QUEUED_REQUESTS} requests sent without awaiting replies`);
          // The frame is a view of a buffer the reader may reuse: keep a copy.
          this.queue.push(Buffer.from(body));
          return;
        }
        this.run(body);
        return;
      default:
        return;
    }
  }

  private run(body: Buffer): void {
    this.replyProtocol = protocolOf(body);
    this.current = body;
    let request: unknown = decodeSmallRequest(body);
    if (request === NOT_SMALL_REQUEST) {
      request = this.decode(body);
      if (request === REFUSED) return;
    } else {
      this.proxies = undefined;
    }
    this.busy = true;
    const outcome = this.service.handle(this, request);
    if (outcome instanceof Promise) void outcome.then((reply) => this.replied(reply));
    else this.replied(outcome);
  }

  /** A request the small path left, decoded in full; REFUSED once a refusal is answered. */
  private decode(body: Buffer): unknown {
    try {
      takeProxies();
      const request = decodePickle(body, this.limits.decoding.request);
      this.proxies = takeProxies();
      return request;
    } catch (error) {
      const message = (error as Error).message;
      this.logger.warn(`${this.where()}: ${message}`);
      const overLimit = RpcError.is(error) && error.code === "RESOURCE_EXHAUSTED";
      if (REFUSED_GLOBAL.test(message) || overLimit) {
        // A call naming a Python function (sort's key=len, Barrier(action=f) on create's
        // one-shot connection), or a well-formed value past a decode limit (an int of 3,000
        // digits): the frame was read whole, so a stream is still in step and only this call
        // fails. A request Python's server cannot read is answered with a traceback (the
        // client raises RemoteError), and so is this one.
        const line = overLimit ? `ValueError: ${message}` : `TypeError: ${message}: ${whyRefused(message)}`;
        this.send(serverTraceback(this.stream ? "serve_client" : "handle_request", [line], this.replyProtocol));
        if (this.stream) return REFUSED;
      } else {
        // Any other refused pickle ends the connection: after it the peer's intent is unknown.
        this.send(tracebackReply(message, this.replyProtocol));
      }
      this.socket.end();
      this.close();
      return REFUSED;
    }
  }

  private replied({ reply, shutdown }: PyManagerReply): void {
    if (this.state === State.Closed) return;
    this.send(reply);
    this.busy = false;
    if (shutdown) this.onShutdown();
    if (!this.stream) {
      // One-shot connection: one request, one reply, then the server closes (Python does).
      this.socket.end();
      this.close();
      return;
    }
    if (this.queueHead < this.queue.length) {
      const next = this.queue[this.queueHead++];
      if (this.queueHead === this.queue.length) {
        this.queue = [];
        this.queueHead = 0;
      }
      this.run(next);
    }
  }

  private send(reply: PickleTuple): void {
    let bytes: Uint8Array;
    try {
      bytes = encodePickle(reply, REPLY_OPTIONS[this.replyProtocol]);
    } catch {
      const text = `${pyRepr(reply.items[1])} cannot be sent to Python\n`;
      bytes = encodePickle(pickleTuple("#UNSERIALIZABLE", text), { protocol: this.replyProtocol, headroom: FRAME_HEADROOM });
    }
    this.lastActive = Date.now();
    this.socket.write(framed(bytes));
  }

  private fail(error: RpcError): void {
    this.abandon(error.message);
  }

  private abandon(reason: string): void {
    if (this.state === State.Closed) return;
    this.logger.warn(`${this.where()}: ${reason}; closing`);
    this.close();
    this.socket.destroy();
  }

  private close(): void {
    this.state = State.Closed;
    this.reader.stop();
    clearTimeout(this.handshakeTimer);
    clearTimeout(this.idleTimer);
  }

  private cleanup(): void {
    this.close();
    this.closing.abort(new RpcError("CANCELLED", `${this.where()} closed its connection`));
    this.onClosed(this);
  }
}

/** The protocol to answer a request in: its own PROTO opcode's, from 2 (none before 2 has one) to 4. */
function protocolOf(body: Uint8Array): 2 | 3 | 4 {
  if (body[0] !== 0x80 || body.length < 2) return 2;
  return body[1] <= 2 ? 2 : body[1] === 3 ? 3 : 4;
}
