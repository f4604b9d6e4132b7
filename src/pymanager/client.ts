/**
 * farcall calling a Python `BaseManager` server (`pymanager://host:port`). Calling a
 * registered typeid returns its value, not a proxy: `create`, then `#GETVALUE` on a pooled
 * stream, then `decref`; so does a method whose result the server sends as a proxy
 * (`method_to_typeid`). A typeid whose referent is a shared object can instead be held
 * as a {@link PyManagerObject} whose methods are calls on it. Python's server takes one
 * request per connection at a time, so calls in flight use a pool of streams rather than
 * queueing behind one socket.
 *
 * @example
 * const py = await connectPyManager({ scheme: "tcp", host: "127.0.0.1", port: 4343 }, { authkey: Buffer.from("password") });
 * await py.call("inc", ["hikakin"]);
 * console.log(await py.call("get", ["hikakin"]));   // a number
 */
import { RpcError } from "../core/errors.js";
import { createdReferent, decodeReply, encodeRequest, replyDecoding, SharedResult } from "./client-protocol.js";
import type { PickleDecodeOptions } from "./pickle/pickle.js";
import type { StreamAddress } from "../net/address.js";
import { dialPyManager, type PyClientSocket, type PyDialLimits } from "./client-socket.js";

/** Options of {@link connectPyManager}. */
export interface PyManagerClientOptions {
  /** The server's authkey. @default empty (Python's `authkey=b""`) */
  authkey?: Uint8Array;
  /** Largest reply frame accepted. @default 8388608 */
  maxFrameBytes?: number;
  /** Time to connect and authenticate each connection. @default 10000 */
  handshakeTimeoutMs?: number;
  /** Time to wait for each reply. @default 30000 */
  callTimeoutMs?: number;
  /** Streams kept open for object calls; more calls in flight wait for one. @default 8 */
  maxStreams?: number;
  /**
   * One-shot connections (`create`, `decref`, server methods) open at once; more wait in
   * order. With maxStreams, this caps the client's connections to the server at
   * maxStreams + maxDials. Kept under Python's listen backlog of 16, which refuses more.
   * @default 8
   */
  maxDials?: number;
  /** Pickle protocol of requests: 2 for a Python 2.7 server. @default 4 */
  protocol?: 2 | 3 | 4;
  /** A program's own Python classes replies may hold, as `"module.Name"`; each arrives as a PyObject. @default [] */
  classes?: readonly string[];
}

export const PYMANAGER_CLIENT_DEFAULTS = Object.freeze({
  maxFrameBytes: 8 * 1024 * 1024,
  handshakeTimeoutMs: 10_000,
  callTimeoutMs: 30_000,
  maxStreams: 8,
  maxDials: 8,
  protocol: 4 as 2 | 3 | 4,
});

/** A referent held on the server: its methods are calls, released explicitly. */
export interface PyManagerObject {
  readonly ident: string;
  /** The method names the server exposes for it. */
  readonly exposed: readonly string[];
  call(method: string, args?: readonly unknown[], kwargs?: Record<string, unknown>): Promise<unknown>;
  /** Drops our reference (decref); the object must not be used afterwards. */
  release(): Promise<void>;
}

export interface PyManagerClient {
  /** Calls registered typeid `typeid` and returns the value of its result. */
  call(typeid: string, args?: readonly unknown[], kwargs?: Record<string, unknown>): Promise<unknown>;
  /** Creates a referent of `typeid` and holds it. */
  object(typeid: string, args?: readonly unknown[], kwargs?: Record<string, unknown>): Promise<PyManagerObject>;
  /** Runs a server method (`number_of_objects`, `debug_info`, ...) on a connection of its own. */
  serverCall(method: string, args?: readonly unknown[]): Promise<unknown>;
  /** Closes every pooled connection; later calls reject with UNAVAILABLE. */
  close(): void;
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`PyManagerClientOptions.${name} must be a positive integer, got ${String(value)}`);
  return value;
}

/** Connects to a manager server, checking reachability and the key with a `dummy` request as Python's `connect()` does. */
export async function connectPyManager(address: StreamAddress, options: PyManagerClientOptions = {}): Promise<PyManagerClient> {
  const limits: PyDialLimits = {
    maxFrameBytes: positive(options.maxFrameBytes, PYMANAGER_CLIENT_DEFAULTS.maxFrameBytes, "maxFrameBytes"),
    handshakeTimeoutMs: positive(options.handshakeTimeoutMs, PYMANAGER_CLIENT_DEFAULTS.handshakeTimeoutMs, "handshakeTimeoutMs"),
    callTimeoutMs: positive(options.callTimeoutMs, PYMANAGER_CLIENT_DEFAULTS.callTimeoutMs, "callTimeoutMs"),
  };
  const client = new ManagerClient(address, options.authkey ?? new Uint8Array(0), limits,
    positive(options.maxStreams, PYMANAGER_CLIENT_DEFAULTS.maxStreams, "maxStreams"), options.protocol ?? PYMANAGER_CLIENT_DEFAULTS.protocol,
    positive(options.maxDials, PYMANAGER_CLIENT_DEFAULTS.maxDials, "maxDials"), replyDecoding(options.classes));
  await client.serverCall("dummy");
  return client;
}

class ManagerClient implements PyManagerClient {
  private readonly idle: PyClientSocket[] = [];
  /** Callers waiting for a stream, served from `waitHead` on. */
  private waiters: Array<(stream: PyClientSocket | RpcError) => void> = [];
  private waitHead = 0;
  private streams = 0;
  private closed = false;
  /** One-shot connections open now (serverCall), at most maxDials. */
  private dialing = 0;
  private readonly dialWaiters: Array<() => void> = [];

  constructor(
    private readonly address: StreamAddress,
    private readonly key: Uint8Array,
    private readonly limits: PyDialLimits,
    private readonly maxStreams: number,
    private readonly protocol: 2 | 3 | 4,
    private readonly maxDials: number,
    private readonly decoding: PickleDecodeOptions,
  ) {}

  /**
   * One request on a connection of its own, as Python's server takes `create`, `decref` and
   * its other methods (it answers one request, then closes). At most `maxDials` are open at
   * once; the rest wait in order, since Python's server accepts on one thread with a listen
   * backlog of 16, and connections past it are refused.
   */
  async serverCall(method: string, args: readonly unknown[] = [], kwargs?: Record<string, unknown>): Promise<unknown> {
    if (this.closed) throw new RpcError("UNAVAILABLE", "the manager client is closed");
    if (this.dialing >= this.maxDials) {
      await new Promise<void>((resolve) => this.dialWaiters.push(resolve));
      if (this.closed) throw new RpcError("UNAVAILABLE", "the manager client is closed");
    } else {
      this.dialing++;
    }
    try {
      const socket = await dialPyManager(this.address, this.key, this.limits);
      try {
        return decodeReply(await socket.request(encodeRequest(null, method, args, kwargs, this.protocol)), this.decoding);
      } finally {
        socket.close();
      }
    } finally {
      // The slot passes straight to the next waiter, so `dialing` counts it still.
      const next = this.dialWaiters.shift();
      if (next !== undefined) next();
      else this.dialing--;
    }
  }

  async call(typeid: string, args: readonly unknown[] = [], kwargs?: Record<string, unknown>): Promise<unknown> {
    const { ident } = createdReferent(await this.create(typeid, args, kwargs));
    return this.valueOf(ident);
  }

  /**
   * `create`; Python's server answers an unknown typeid with a traceback ending in
   * `KeyError: 'typeid'`: METHOD_NOT_FOUND. A function typeid's own KeyError stays a KeyError.
   */
  private async create(typeid: string, args: readonly unknown[], kwargs: Record<string, unknown> | undefined): Promise<unknown> {
    try {
      return await this.serverCall("create", [typeid, ...args], kwargs);
    } catch (err) {
      if (RpcError.is(err) && err.code === "KeyError" && err.message === `'${typeid}'` && (err.data as { traceback?: unknown } | undefined)?.traceback !== undefined) {
        throw new RpcError("METHOD_NOT_FOUND", `no typeid ${JSON.stringify(typeid)} on the manager server`, err.data, { cause: err });
      }
      throw err;
    }
  }

  async object(typeid: string, args: readonly unknown[] = [], kwargs?: Record<string, unknown>): Promise<PyManagerObject> {
    const { ident, exposed } = createdReferent(await this.create(typeid, args, kwargs));
    let released = false;
    return {
      ident,
      exposed,
      call: (method, callArgs = [], callKwargs) => {
        if (released) return Promise.reject(new RpcError("INVALID_REQUEST", `object ${ident} was released`));
        return this.onStream(ident, method, callArgs, callKwargs);
      },
      release: async () => {
        if (released) return;
        released = true;
        await this.serverCall("decref", [ident]);
      },
    };
  }

  close(): void {
    this.closed = true;
    for (const s of this.idle.splice(0)) s.close();
    const error = new RpcError("UNAVAILABLE", "the manager client is closed");
    for (let i = this.waitHead; i < this.waiters.length; i++) this.waiters[i](error);
    // Waiting one-shot calls wake, see the client closed and reject.
    for (const wake of this.dialWaiters.splice(0)) wake();
    this.waiters = [];
    this.waitHead = 0;
  }

  private async onStream(ident: string, method: string, args: readonly unknown[], kwargs: Record<string, unknown> | undefined): Promise<unknown> {
    const stream = await this.acquire();
    let reply: Buffer;
    try {
      reply = await stream.request(encodeRequest(ident, method, args, kwargs, this.protocol));
    } catch (error) {
      this.drop(stream);
      throw error;
    }
    this.giveBack(stream);
    const value = unexposedAsNotFound(method, () => decodeReply(reply, this.decoding));
    return value instanceof SharedResult ? this.valueOf(value.ident) : value;
  }

  /** The value of a shared object the server created for us, whose one reference we then drop. */
  private async valueOf(ident: string): Promise<unknown> {
    try {
      return await this.onStream(ident, "#GETVALUE", [], undefined);
    } finally {
      await this.serverCall("decref", [ident]);
    }
  }

  private async acquire(): Promise<PyClientSocket> {
    if (this.closed) throw new RpcError("UNAVAILABLE", "the manager client is closed");
    while (this.idle.length > 0) {
      const s = this.idle.pop()!;
      if (!s.closed) return s;
      this.streams--;
    }
    if (this.streams < this.maxStreams) {
      this.streams++;
      try {
        const s = await dialPyManager(this.address, this.key, this.limits);
        decodeReply(await s.request(encodeRequest(null, "accept_connection", ["MainProcess"], undefined, this.protocol)));
        return s;
      } catch (error) {
        this.streams--;
        throw error;
      }
    }
    const next = await new Promise<PyClientSocket | RpcError>((resolve) => this.waiters.push(resolve));
    if (next instanceof RpcError) throw next;
    return next;
  }

  private giveBack(stream: PyClientSocket): void {
    if (this.waitHead < this.waiters.length) {
      const waiter = this.waiters[this.waitHead++];
      if (this.waitHead === this.waiters.length) {
        this.waiters = [];
        this.waitHead = 0;
      }
      waiter(stream);
      return;
    }
    if (this.closed) stream.close();
    else this.idle.push(stream);
  }

  private drop(stream: PyClientSocket): void {
    stream.close();
    this.streams--;
    // A waiter may now dial a stream of its own.
    if (this.waitHead < this.waiters.length) {
      const waiter = this.waiters[this.waitHead++];
      this.acquire().then(waiter, (error: unknown) => waiter(RpcError.from(error)));
    }
  }
}

/**
 * Python's server answers a method the object does not expose with a traceback whose last
 * line is the KeyError of its fallback lookup; the AttributeError before it says what happened.
 */
function unexposedAsNotFound(method: string, decode: () => unknown): unknown {
  try {
    return decode();
  } catch (err) {
    const traceback = RpcError.is(err) ? (err.data as { traceback?: unknown } | undefined)?.traceback : undefined;
    if (typeof traceback === "string" && traceback.includes(" object is not in exposed=")) {
      throw new RpcError("METHOD_NOT_FOUND", `the shared object does not expose ${JSON.stringify(method)}`, err instanceof RpcError ? err.data : undefined, { cause: err });
    }
    throw err;
  }
}
