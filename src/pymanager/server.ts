/**
 * The server side of Python's manager protocol as message semantics, with no socket in
 * sight: one decoded request `(ident, methodname, args, kwds)` in, one reply
 * `('#RETURN', value)` / `('#ERROR', exception)` / `('#TRACEBACK', text)` out. A connection
 * starts one-shot (one server method, then the transport closes it) and becomes a stream
 * after `accept_connection`, where every request calls a method of a referent.
 *
 * Every exposed function is a typeid: `create` calls it (named arguments arrive as a
 * trailing object) and holds the result. Every exposed namespace (`kv` of `{ kv: store }`)
 * is a typeid too, whose referent is the object itself with its exposed methods.
 *
 * A referent's method that returns a class instance (or an object marked with `ref()`)
 * answers `('#PROXY', (exposed, Token))`, as Python's server does for a method listed in
 * `method_to_typeid`: the object becomes a referent of its own, and the Token's typeid is
 * its class's name (`Object` for a plain one), which the Python client must have registered
 * (`register("Account")`) to build its proxy.
 */
import { PickleGlobal, PickleNativeStr, pickleTuple, type PickleTuple } from "./pickle/pickle.js";
import type { PeerInfo } from "../core/context.js";
import { Dispatcher, type MethodEntry } from "../core/dispatcher.js";
import { RpcError } from "../core/errors.js";
import { LIST_METHODS } from "../core/messages.js";
import { callFrom, IncomingCall } from "../core/incoming-call.js";
import type { CallPipeline } from "../core/pipeline.js";
import { isMarkedRef } from "../core/ref.js";
import { errorReply, exceptionLine, serverTraceback } from "./errors.js";
import { ReferentTable, REFERENT_DEFAULTS, type Referent } from "./referents.js";
import { pyRepr, pyStr } from "./repr.js";
import { inReprEra } from "./stdlib-repr.js";
import { arrayArgsOf, arrayItemArgs } from "./native-str.js";
import { checkArrayTypecode } from "./client-era.js";
import { SharedArray } from "./shared/array.js";
import { callValueMethod, valueExposed } from "./values.js";
import { ReplySink } from "./reply-sink.js";
import { checkArity, type Kwargs, type PyFace } from "./face.js";
import { createSyncObject, faceOf, syncListing } from "./sync-manager.js";
import { tokenIdent } from "./proxy-argument.js";
import { StoredProxy } from "./shared/py-values.js";
import { bindProxies } from "./proxy-binding.js";

/** Options of a {@link PyManagerService}. */
export interface PyManagerServiceOptions {
  /** Most objects held for clients at once. @default 100000 */
  maxReferents?: number;
  /** Obey a client's `shutdown` request (the service only reports it; the owner stops). @default false */
  allowShutdown?: boolean;
}

/** One connection's protocol state; the transport keeps one per socket. */
export interface PyManagerConnection {
  readonly peer: PeerInfo;
  /** True after `accept_connection`: requests are object calls until the client closes. */
  stream: boolean;
  /** The address the client dialled, `(host, port)` or a unix path, for the Tokens of `#PROXY` replies. */
  readonly address: PickleTuple | string;
  /** Aborts when the connection closes: calls still waiting (a Queue.get) end then. */
  readonly signal?: AbortSignal;
  /** The pickle protocol of the client's last request (2 from Python 2.7, which has no other). */
  readonly replyProtocol?: 2 | 3 | 4;
  /** The client answered the handshake as Python before 3.12 does (see client-era.ts). */
  readonly before312?: boolean;
  /** The current request's arguments with 2.7's native strs as Uint8Array (see native-str.ts). */
  nativeStrArgs?(): unknown[] | undefined;
  /** The proxies the current request carries (RebuildProxy), bound to referents before it runs. */
  proxies?: StoredProxy[];
}

/** A typeid clients may `create`: an exposed function, or an exposed namespace object. */
type TypeEntry =
  | { kind: "function"; path: string }
  | { kind: "namespace"; prefix: string; exposed: string[] }
  | { kind: "shared"; value: object };

const RETURN_NONE = pickleTuple("#RETURN", null);

/** A reply, plus what the transport must do after sending it. */
export interface PyManagerReply {
  reply: PickleTuple;
  /** The client asked the server to stop (only when allowShutdown). */
  shutdown?: boolean;
}

export class PyManagerService {
  readonly referents: ReferentTable;
  private readonly types = new Map<string, TypeEntry>();
  private readonly allowShutdown: boolean;
  private readonly dispatcher: Dispatcher;

  constructor(private readonly pipeline: CallPipeline, options: PyManagerServiceOptions = {}) {
    if (!pipeline.dispatcher) throw new TypeError("a manager service needs something to serve");
    const dispatcher = (this.dispatcher = pipeline.dispatcher);
    const maxReferents = options.maxReferents ?? REFERENT_DEFAULTS.maxReferents;
    if (!Number.isSafeInteger(maxReferents) || maxReferents < 1) {
      throw new RangeError(`maxReferents must be a positive integer, got ${String(maxReferents)}`);
    }
    this.referents = new ReferentTable({ maxReferents });
    this.allowShutdown = options.allowShutdown ?? false;
    // The typeid table is built once: every method path is a function typeid, and every
    // path prefix a namespace typeid offering its direct methods.
    for (const { name } of dispatcher.list()) {
      this.types.set(name, { kind: "function", path: name });
      const dot = name.lastIndexOf(".");
      if (dot < 0) continue;
      const prefix = name.slice(0, dot);
      let entry = this.types.get(prefix);
      if (entry === undefined) this.types.set(prefix, (entry = { kind: "namespace", prefix: `${prefix}.`, exposed: [] }));
      if (entry.kind === "namespace" && isIdentifier(name.slice(dot + 1))) entry.exposed.push(name.slice(dot + 1));
      // A shared object exposed by name (`{ jobs: queue }`) keeps its Python face: `m.jobs().get(timeout=1)`.
      const self = dispatcher.lookup(name)?.self;
      if (entry.kind === "namespace" && faceOf(self) !== undefined) this.types.set(prefix, { kind: "shared", value: self as object });
    }
  }

  /** Answers one decoded request. Never rejects: every failure becomes a reply. */
  handle(conn: PyManagerConnection, request: unknown): PyManagerReply | Promise<PyManagerReply> {
    if (!Array.isArray(request) || request.length !== 4 || typeof request[1] !== "string" || !Array.isArray(request[2])) {
      return { reply: serverTraceback("serve_client", ["ValueError: a request is (ident, methodname, args, kwds)"], conn.replyProtocol) };
    }
    const [ident, method, args, kwds] = request as [unknown, string, unknown[], unknown];
    const kwargs = kwargsOf(kwds);
    if (kwargs === undefined) return { reply: serverTraceback("serve_client", ["TypeError: kwds must be a dict with str keys"], conn.replyProtocol) };
    const unbound = conn.proxies === undefined ? undefined : bindProxies(this.referents, conn);
    if (unbound !== undefined) return { reply: serverTraceback(conn.stream ? "serve_client" : "handle_request", [unbound], conn.replyProtocol) };
    // Python's server answers any failure of a server request with a traceback (the client raises
    // RemoteError), never with the exception itself, which only a referent's own method gets.
    if (!conn.stream) return this.serverMethod(conn, method, args, kwargs).catch((error: unknown) => ({ reply: serverTraceback(method, [exceptionLine(error)], conn.replyProtocol) }));
    try {
      // A shared object's call that answers at once is answered in the same turn, with no Promise made.
      const reply = this.callReferent(conn, ident, method, args, kwargs);
      return reply instanceof Promise ? reply.then(asReply, (error: unknown) => failedReply(conn, error)) : { reply };
    } catch (error) {
      return failedReply(conn, error);
    }
  }

  private async serverMethod(conn: PyManagerConnection, method: string, args: unknown[], kwargs: Record<string, unknown> | null): Promise<PyManagerReply> {
    switch (method) {
      case "dummy":
        return { reply: RETURN_NONE };
      case "accept_connection":
        conn.stream = true;
        return { reply: RETURN_NONE };
      case "create":
        return { reply: await this.create(conn, args, kwargs) };
      case "incref":
        this.referents.incref(args[0]);
        return { reply: RETURN_NONE };
      case "decref":
        this.referents.decref(args[0]);
        return { reply: RETURN_NONE };
      case "get_methods":
        return { reply: pickleTuple("#RETURN", pickleTuple(...this.referents.get(tokenIdent(args[0])).exposed)) };
      case "number_of_objects":
        return { reply: pickleTuple("#RETURN", this.referents.size) };
      case "debug_info":
        return { reply: pickleTuple("#RETURN", this.referents.describe()) };
      case "shutdown":
        if (!this.allowShutdown) throw new RpcError("PermissionError", "shutdown is disabled on this server");
        return { reply: RETURN_NONE, shutdown: true };
      default:
        throw new RpcError("AssertionError", `${pyRepr(method)} unrecognized`);
    }
  }

  private async create(conn: PyManagerConnection, args: unknown[], kwargs: Record<string, unknown> | null): Promise<PickleTuple> {
    const typeid = args[0];
    const type = typeof typeid === "string" ? this.types.get(typeid) : undefined;
    if (typeid === LIST_METHODS) return this.listing();
    if (type === undefined) checkArrayTypecode(conn, args);
    const made = type === undefined && typeof typeid === "string" ? createSyncObject(typeid, arrayArgsOf(conn, args).slice(1), kwargs, (v) => this.proxied(v), conn) : undefined;
    if (made !== undefined) {
      const referent = this.hold(made);
      return pickleTuple("#RETURN", pickleTuple(referent.ident, pickleTuple(...referent.exposed)));
    }
    if (type === undefined) {
      // Python's server answers KeyError (the typeid's repr); the call log hears of it as any unknown method.
      const name = String(typeid);
      await this.pipeline.refusal(this.callOf(conn, name, []), new RpcError("METHOD_NOT_FOUND", `no method ${JSON.stringify(name)}`)).catch(() => {});
      throw new RpcError("KeyError", pyRepr(typeid));
    }
    let referent: Referent;
    if (type.kind === "namespace") {
      referent = this.referents.add(undefined, this.dispatcher, type.prefix, type.exposed);
    } else if (type.kind === "shared") {
      referent = this.hold(type.value);
    } else {
      const callArgs = kwargs === null ? args.slice(1) : [...args.slice(1), kwargs];
      const value = await this.invoke(conn, type.path, callArgs, undefined);
      referent = this.hold(value);
    }
    return pickleTuple("#RETURN", pickleTuple(referent.ident, pickleTuple(...referent.exposed)));
  }

  /** The shared object a proxy argument names, or undefined for any other argument. */
  private proxied(value: unknown): object | undefined {
    return value instanceof StoredProxy ? (value.referent?.value as object | undefined) : undefined;
  }

  /** What `farcall list pymanager://` reads: the methods, as farcall/1's `$methods` answers them, and the SyncManager typeids. */
  private listing(): PickleTuple {
    // The SyncManager typeids the served API does not name itself are listed too.
    const served = this.dispatcher.list();
    const sync = syncListing().filter((m) => !this.types.has(m.name));
    const referent = this.referents.add([...served, ...sync].sort((a, b) => (a.name < b.name ? -1 : 1)), undefined, "", []);
    return pickleTuple("#RETURN", pickleTuple(referent.ident, pickleTuple()));
  }

  /**
   * Runs one call through the pipeline. A method of an object held for the client (a class
   * instance a call returned) comes resolved as `entry`; any other is looked up by name.
   */
  private invoke(conn: PyManagerConnection, method: string, args: unknown[], entry: MethodEntry | undefined): Promise<unknown> {
    const call = this.callOf(conn, method, args);
    call.entry = entry;
    return this.pipeline.invoke(call);
  }

  /**
   * Runs `call` through the pipeline and gives its result at once when the handler answered
   * in the same turn (a plain `get`), with no Promise made; a Promise only for one that did
   * not. Throws what a synchronous handler threw.
   */
  private settle(call: IncomingCall): unknown {
    const sink = new ReplySink();
    this.pipeline.dispatch(call, sink);
    if (!sink.done) return sink.later();
    if (sink.failed) throw sink.value;
    return sink.value;
  }

  private callOf(conn: PyManagerConnection, method: string, args: unknown[]): IncomingCall {
    // The connection is the call's origin: a waiting call that reads its signal (Queue.get,
    // Lock.acquire) ends when its client leaves; a call that never reads it adds no listener.
    return callFrom("pymanager", conn, method, args);
  }

  /** A new referent for a function's result: a class instance or ref() object answers its own methods. */
  private hold(value: unknown): Referent {
    const face = faceOf(value);
    if (face !== undefined) return this.referents.add(value, undefined, "", face.exposed, face);
    if (byReference(value)) {
      const methods = new Dispatcher(value);
      return this.referents.add(value, methods, "", methods.list().map((m) => m.name).filter(isIdentifier));
    }
    return this.referents.add(value, undefined, "", valueExposed(value));
  }

  /**
   * An instance returned by a referent's method, held as a referent of its own and sent as
   * Python's server sends a `method_to_typeid` result. The client increfs it, then drops the
   * reference this creation holds, as with Python's server.
   */
  private proxyReply(conn: PyManagerConnection, value: object): PickleTuple {
    const referent = this.hold(value);
    // Python 2.7 builds its proxy class with type("AutoProxy[" + typeid + "]"), which refuses unicode.
    const typeid = new PickleNativeStr(referent.face?.typeid ?? (value.constructor?.name || "object"));
    const token = new PickleGlobal("multiprocessing.managers", "Token", { newobj: true, state: pickleTuple(typeid, conn.address, referent.ident) });
    return pickleTuple("#PROXY", pickleTuple(pickleTuple(...referent.exposed), token));
  }

  private callReferent(conn: PyManagerConnection, ident: unknown, method: string, args: unknown[], kwargs: Record<string, unknown> | null): PickleTuple | Promise<PickleTuple> {
    if (ident === null) return serverTraceback("serve_client", ["ValueError: a server method needs its own connection, not an accepted stream"], conn.replyProtocol);
    const referent = this.referents.find(ident);
    if (referent === undefined) {
      // Python 3 looks the ident up twice (its local proxies first), chaining the two KeyErrors.
      const missing = `KeyError: ${pyRepr(ident)}`;
      return serverTraceback("serve_client", conn.replyProtocol === 2 ? [missing] : [missing, missing], conn.replyProtocol);
    }
    if (referent.face !== undefined) return this.callShared(conn, referent, referent.face, method, args, kwargs);
    return this.callObject(conn, referent, method, args, kwargs);
  }

  private callObject(conn: PyManagerConnection, referent: Referent, method: string, args: unknown[], kwargs: Record<string, unknown> | null): PickleTuple | Promise<PickleTuple> {
    const callArgs = kwargs === null ? args : [...args, kwargs];
    const name = referent.prefix + method;
    const entry = referent.methods?.lookup(name);
    if (entry !== undefined) {
      const call = this.callOf(conn, name, callArgs);
      call.entry = referent.methods === this.dispatcher ? undefined : entry;
      const value = this.settle(call);
      return value instanceof Promise ? value.then((v: unknown) => this.objectResult(conn, v)) : this.objectResult(conn, value);
    }
    // Python's fallbacks for names the object does not expose.
    if (method === "#GETVALUE") return pickleTuple("#RETURN", referent.value);
    if (method === "__repr__") return pickleTuple("#RETURN", referent.methods ? objectRepr(referent) : inEra(conn, () => pyRepr(referent.value, 0, conn.replyProtocol === 2)));
    if (method === "__str__") return pickleTuple("#RETURN", referent.methods ? objectRepr(referent) : pyStr(referent.value));
    if (referent.methods !== undefined) {
      const unexposed = notExposed(conn, method, objectRepr(referent).slice(1, -8), referent.exposed);
      return this.pipeline.refusal(this.callOf(conn, name, callArgs), new RpcError("METHOD_NOT_FOUND", `no method ${JSON.stringify(name)}`)).then(
        () => unexposed,
        () => unexposed,
      );
    }
    return pickleTuple("#RETURN", callValueMethod(referent.value, method, callArgs));
  }

  /** A referent method's answer: a class instance or ref() object goes back as a proxy. */
  private objectResult(conn: PyManagerConnection, value: unknown): PickleTuple {
    return byReference(value) ? this.proxyReply(conn, value) : pickleTuple("#RETURN", value);
  }

  /**
   * A call of a shared object's Python method, run through the pipeline (interceptors and the
   * call log see `Queue.get` with the Python arguments). A result that is itself a shared
   * object (a dict's iterator) goes back as a proxy.
   */
  private callShared(conn: PyManagerConnection, referent: Referent, face: PyFace<object>, method: string, args: unknown[], kwargs: Kwargs): PickleTuple | Promise<PickleTuple> {
    const fn = Object.prototype.hasOwnProperty.call(face.methods, method) ? face.methods[method] : undefined;
    const value = referent.value as object;
    if (fn !== undefined) {
      checkArity(face, method, args.length);
      if (value instanceof SharedArray) args = arrayItemArgs(conn, value, method, args);
      const name = `${face.typeid}.${method}`;
      // A waiting call (Queue.get, Lock.acquire) is handed the connection's signal: it ends when its client leaves.
      const entry: MethodEntry = { name, fn: () => fn(value, args, kwargs, conn.signal, conn), self: value, arity: 0 };
      const call = new IncomingCall("pymanager", 0, name, args, conn.peer, undefined, undefined);
      call.entry = entry;
      const result = this.settle(call);
      return result instanceof Promise ? result.then((r: unknown) => this.sharedResult(conn, r)) : this.sharedResult(conn, result);
    }
    if (method === "#GETVALUE" && face.value !== undefined) return pickleTuple("#RETURN", face.value(value));
    if (method === "__repr__" || method === "__str__") return pickleTuple("#RETURN", inEra(conn, () => face.repr(value, conn.replyProtocol === 2)));
    return notExposed(conn, method, face.typeid, referent.exposed);
  }

  /** A shared object's answer; one that is itself a shared object (a dict's iterator) goes back as a proxy. */
  private sharedResult(conn: PyManagerConnection, result: unknown): PickleTuple {
    return faceOf(result) !== undefined ? this.proxyReply(conn, result as object) : pickleTuple("#RETURN", result);
  }
}

/** Prints for the client's Python: 2.7 and 3.8-3.11 (a bare HMAC-MD5 answer) print OrderedDict as a list of pairs. */
function inEra<T>(conn: PyManagerConnection, print: () => T): T {
  return inReprEra(conn.replyProtocol === 2 || conn.before312 === true, print);
}

function asReply(reply: PickleTuple): PyManagerReply {
  return { reply };
}

function failedReply(conn: PyManagerConnection, error: unknown): PyManagerReply {
  return { reply: errorReply(error, conn.replyProtocol) };
}

/**
 * Python's answer to a method the object does not expose and no fallback serves: the
 * AttributeError, chained to the KeyError of the fallback lookup, the exception the client reads.
 */
function notExposed(conn: PyManagerConnection, method: string, className: string, exposed: readonly string[]): PickleTuple {
  // Python's server keeps `exposed` as a set, and prints it so.
  const set = exposed.length === 0 ? "set()" : `{${exposed.map((n) => pyRepr(n)).join(", ")}}`;
  const missing = `KeyError: ${pyRepr(method)}`;
  // Python 2.7 looks up the fallback without raising the AttributeError first.
  if (conn.replyProtocol === 2) return serverTraceback("serve_client", [missing], conn.replyProtocol);
  return serverTraceback("serve_client", [`AttributeError: method ${pyRepr(method)} of <class ${pyRepr(className)}> object is not in exposed=${set}`, missing], conn.replyProtocol);
}

/** `<kv object>` for a namespace, `<Account object>` for a class instance. */
function objectRepr(referent: Referent): string {
  const name = referent.prefix.slice(0, -1) || (referent.value as object | undefined)?.constructor?.name || "object";
  return `<${name} object>`;
}

/** kwds as an argument: null when empty, undefined when not a dict of str keys. */
function kwargsOf(kwds: unknown): Record<string, unknown> | null | undefined {
  if (kwds === null || kwds === undefined) return null;
  if (kwds instanceof Map) return kwds.size === 0 ? null : undefined;
  if (typeof kwds !== "object" || Array.isArray(kwds)) return undefined;
  // The first own key decides, with no array of keys made for every request (almost all have none).
  for (const key in kwds) if (Object.prototype.hasOwnProperty.call(kwds, key)) return kwds as Record<string, unknown>;
  return null;
}

/** A class instance, or an object marked with ref(): held as an object with methods, not copied. */
function byReference(value: unknown): value is object {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  if (isMarkedRef(value)) return true;
  if (value instanceof Map || value instanceof Set || value instanceof Date || ArrayBuffer.isView(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto !== Object.prototype && proto !== null;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** The client `exec`s each exposed name as a method definition: only identifiers may go. */
function isIdentifier(name: string): boolean {
  return IDENTIFIER.test(name);
}
