/**
 * A proxy that a client passes as an argument (`m.Condition(lock)`): Python pickles it as
 * `RebuildProxy(proxy_class, token, serializer, kwds)`, and the server reads it as the ident
 * its Token names, never as a connection back to itself.
 */
import { RpcError } from "../core/errors.js";

/** The referent a proxy argument stands for, by ident. */
export class ProxyArgument {
  constructor(readonly ident: unknown) {}
}

/** The ident of a Token record (state `(typeid, address, id)`), or the argument itself. */
export function tokenIdent(token: unknown): unknown {
  if (typeof token === "object" && token !== null && "state" in token) {
    const state = (token as { state: unknown }).state;
    if (Array.isArray(state)) return state[2];
  }
  return token;
}

/** The `RebuildProxy` global of a request's allow-list. */
export function rebuildProxy(args: unknown[]): ProxyArgument {
  const ident = args.length >= 2 ? tokenIdent(args[1]) : undefined;
  if (typeof ident !== "string") throw new RpcError("PARSE_ERROR", "RebuildProxy needs a Token naming an object");
  return new ProxyArgument(ident);
}
