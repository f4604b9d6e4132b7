/**
 * A proxy a client sends inside a request: an argument a manager takes (`m.Condition(lock)`)
 * or a value it stores (`a.append(b)`, `d['inner'] = m.dict()`, `q.put(m.list())`). Python
 * pickles it as `RebuildProxy(proxy_class, token, serializer, kwds)`. The server never dials
 * the token as Python's own server would for another server's token: it binds it to the
 * referent its ident names on this server (see bindProxies in server.ts), or refuses the request.
 *
 * Bound, it is what Python's server stores for a nested proxy: it prints as that proxy prints
 * (`<ListProxy object, typeid 'list' at 0x...>`), equals only itself (as a proxy object, which
 * defines no `__eq__`), hashes by identity, and is pickled back as the same `RebuildProxy` call,
 * so the client reading it gets a working proxy of the class it sent.
 */
import { RpcError } from "../core/errors.js";
import { registerType } from "../core/type-registry.js";
import { PickleGlobal, PickleGlobalRef, PickleNativeStr, PickleTuple, pickleTuple } from "./pickle/pickle.js";
import type { Referent } from "./referents.js";

/** The proxy classes a stored proxy may name: records, never called (see connection.ts). */
export const PROXY_CLASSES = [
  "AutoProxy", "ListProxy", "DictProxy", "NamespaceProxy", "ValueProxy", "ArrayProxy", "AcquirerProxy",
  "ConditionProxy", "EventProxy", "BarrierProxy", "IteratorProxy", "PoolProxy",
];

let serial = 0;

export class ProxyArgument extends PickleGlobal {
  /** The referent on this server, once bound; a bound proxy keeps it (see referents.ts). */
  referent: Referent | undefined;
  /** Stands for the proxy object's `id()` in its repr. */
  private readonly serial = ++serial;

  constructor(
    /** `ListProxy`, `DictProxy`, `AutoProxy`... as the client's pickle named it. */
    readonly proxyClass: string,
    readonly typeid: string,
    /** The token's address, as the client sent it: `(host, port)` or a unix path. */
    readonly address: unknown,
    readonly ident: string,
    exposed: unknown,
  ) {
    // Python's server pickles the proxy it rebuilt as RebuildProxy again, with kwds {} or,
    // for an AutoProxy, {'exposed': names}; 2.7 needs the typeid as its native str.
    const token = new PickleGlobal("multiprocessing.managers", "Token", { newobj: true, state: pickleTuple(new PickleNativeStr(typeid), asTuple(address), ident) });
    const kwds = proxyClass === "AutoProxy" && Array.isArray(exposed) ? { exposed: new PickleTuple(exposed) } : {};
    super("multiprocessing.managers", "RebuildProxy", { args: [new PickleGlobalRef(`multiprocessing.managers.${proxyClass}`), token, "pickle", kwds] });
  }

  /** BaseProxy.__repr__; an AutoProxy's class is named `AutoProxy[typeid]`. */
  reprPython(): string {
    const name = this.proxyClass === "AutoProxy" ? `AutoProxy[${this.typeid}]` : this.proxyClass;
    return `<${name} object, typeid '${this.typeid}' at 0x7f00${(0x100000 + this.serial * 0x30).toString(16)}>`;
  }

  /** `type(x).__name__` in the messages that name it. */
  get pythonType(): string {
    return this.proxyClass === "AutoProxy" ? `AutoProxy[${this.typeid}]` : this.proxyClass;
  }
}

/**
 * Over farcall/1 (and extended JSON) a stored proxy travels as the object it names: a shared
 * object by reference, so a TypeScript reader of `d['inner']` calls the inner dict itself; a
 * plain referent (a number a function returned) as its value. Plain JSON refuses a shared
 * object, naming it (SharedObject's toJSON).
 */
registerType<ProxyArgument, unknown>(ProxyArgument, {
  name: "farcall.pymanager.StoredProxy",
  encode: (proxy) => proxy.referent?.value,
  // What arrives is the object itself (a reference) or its value, never a proxy to rebuild.
  decode: (value) => value as ProxyArgument,
});

function asTuple(address: unknown): unknown {
  return Array.isArray(address) ? new PickleTuple(address) : address;
}

/** The ident of a Token record (state `(typeid, address, id)`), or the argument itself. */
export function tokenIdent(token: unknown): unknown {
  return tokenState(token)?.[2] ?? token;
}

function tokenState(token: unknown): unknown[] | undefined {
  if (typeof token === "object" && token !== null && "state" in token) {
    const state = (token as { state: unknown }).state;
    if (Array.isArray(state) && state.length === 3) return state;
  }
  return undefined;
}

/** The proxies of the request being decoded; decoding is synchronous, so one list serves. */
let collected: ProxyArgument[] | undefined;

/** Decodes with `decode`, returning what it gave and the proxies it rebuilt. */
export function collectingProxies<T>(decode: () => T): { value: T; proxies: ProxyArgument[] | undefined } {
  collected = undefined;
  try {
    const value = decode();
    return { value, proxies: collected };
  } finally {
    collected = undefined;
  }
}

/** The `RebuildProxy` global of a request's allow-list. */
export function rebuildProxy(args: unknown[]): ProxyArgument {
  const state = args.length === 4 ? tokenState(args[1]) : undefined;
  const cls = args[0];
  const name = cls instanceof PickleGlobalRef && cls.name.startsWith("multiprocessing.managers.") ? cls.name.slice(25) : undefined;
  if (state === undefined || name === undefined || !PROXY_CLASSES.includes(name) || typeof state[0] !== "string" || typeof state[2] !== "string") {
    throw new RpcError("PARSE_ERROR", "RebuildProxy needs a proxy class and a Token naming an object");
  }
  const kwds = args[3];
  const exposed = kwds instanceof Map ? kwds.get("exposed") : typeof kwds === "object" && kwds !== null ? (kwds as { exposed?: unknown }).exposed : undefined;
  const proxy = new ProxyArgument(name, state[0], state[1], state[2], exposed);
  (collected ??= []).push(proxy);
  return proxy;
}
