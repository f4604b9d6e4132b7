/**
 * Errors as values inside a document, the same way in every codec: class name, message, and
 * an RpcError's code and data; never a stack, which would leak the sender's internals and
 * say nothing useful at the receiving end.
 */
import { RpcError } from "../core/errors.js";

/** The fields of an error on the wire. */
export interface WireError {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  data?: unknown;
}

// Error classes rebuilt by name; anything else comes back as Error with its name kept.
// A null prototype, so a peer-sent name like "__proto__" finds nothing.
const ERROR_CLASSES: Record<string, ErrorConstructor | undefined> = Object.assign(Object.create(null), {
  Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError,
});

/** The wire fields of `e`. */
export function errorToWire(e: Error): WireError {
  const out: WireError = { name: e.name, message: e.message };
  if (RpcError.is(e)) {
    out.code = e.code;
    if (e.data !== undefined) out.data = e.data;
  }
  return out;
}

/** Rebuilds an error from its wire fields; `reviveData` decodes an RpcError's data further. */
export function errorFromWire(o: WireError | null | undefined, reviveData: (data: unknown) => unknown = (d) => d): Error {
  const name = typeof o?.name === "string" ? o.name : "Error";
  const message = typeof o?.message === "string" ? o.message : "";
  let err: Error;
  if (name === "RpcError") {
    const code = typeof o?.code === "string" || typeof o?.code === "number" ? o.code : "INTERNAL";
    err = new RpcError(code, message, reviveData(o?.data));
  } else {
    const Ctor = ERROR_CLASSES[name] ?? Error;
    err = new Ctor(message);
    if (err.name !== name) err.name = name;
  }
  // The decoding site's stack says nothing about the remote error; leave only the header.
  err.stack = `${name}: ${message}`;
  return err;
}
