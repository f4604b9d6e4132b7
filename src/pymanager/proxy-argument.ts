/**
 * A proxy a client sends inside a request: an argument a manager takes (`m.Condition(lock)`)
 * or a value it stores (`a.append(b)`, `d['inner'] = m.dict()`, `q.put(m.list())`). Python
 * pickles it as `RebuildProxy(proxy_class, token, serializer, kwds)`. The server never dials
 * the token as Python's own server would for another server's token: it binds it to the
 * referent its ident names on this server (see proxy-binding.ts), or refuses the request.
 *
 * Bound, it is a StoredProxy (shared/py-values.ts), what Python's server stores for a nested
 * proxy, and is pickled back as the same `RebuildProxy` call (pickle/stdlib-values.ts), so the
 * client reading it gets a working proxy of the class it sent.
 */
import { RpcError } from "../core/errors.js";
import { PickleGlobalRef } from "./pickle/pickle.js";
import { StoredProxy } from "./shared/py-values.js";

/** The proxy classes a stored proxy may name: records, never called (see connection.ts). */
export const PROXY_CLASSES = [
  "AutoProxy", "ListProxy", "DictProxy", "NamespaceProxy", "ValueProxy", "ArrayProxy", "AcquirerProxy",
  "ConditionProxy", "EventProxy", "BarrierProxy", "IteratorProxy", "PoolProxy",
];

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
let collected: StoredProxy[] | undefined;

/**
 * The proxies rebuilt since the last call, and a fresh start: called before a request is
 * decoded (dropping what a failed decode left) and after it. No closure or result object per
 * request, as most carry no proxy.
 */
export function takeProxies(): StoredProxy[] | undefined {
  const proxies = collected;
  collected = undefined;
  return proxies;
}

/** The `RebuildProxy` global of a request's allow-list. */
export function rebuildProxy(args: unknown[]): StoredProxy {
  const state = args.length === 4 ? tokenState(args[1]) : undefined;
  const cls = args[0];
  const name = cls instanceof PickleGlobalRef && cls.name.startsWith("multiprocessing.managers.") ? cls.name.slice(25) : undefined;
  if (state === undefined || name === undefined || !PROXY_CLASSES.includes(name) || typeof state[0] !== "string" || typeof state[2] !== "string") {
    throw new RpcError("PARSE_ERROR", "RebuildProxy needs a proxy class and a Token naming an object");
  }
  const kwds = args[3];
  const exposed = kwds instanceof Map ? kwds.get("exposed") : typeof kwds === "object" && kwds !== null ? (kwds as { exposed?: unknown }).exposed : undefined;
  const proxy = new StoredProxy(name, state[0], state[1], state[2], exposed);
  (collected ??= []).push(proxy);
  return proxy;
}
