/**
 * The client side of Python's manager protocol as message semantics: the request pickle
 * `(ident, methodname, args, kwds)`, and a reply turned into a value or an RpcError. A
 * Python exception arrives as an RpcError whose code is the exception's type name
 * (`KeyError`) and whose data holds the type and arguments; a server traceback arrives as
 * `RemoteError` with the traceback text.
 */
import { decodePickle, encodePickle, pickleTuple, recordGlobals, type PickleDecodeOptions, type PickleRecord } from "./pickle/pickle.js";
import { withClasses } from "./request-globals.js";
import { RpcError } from "../core/errors.js";

/**
 * The builtins exceptions a reply may carry, decoded as inert records. Anything else a
 * server pickles (a user-defined exception class, say) is refused by name.
 */
const REPLY_EXCEPTIONS = [
  "ArithmeticError", "AssertionError", "AttributeError", "BaseException", "BufferError", "EOFError",
  "Exception", "FileExistsError", "FileNotFoundError", "FloatingPointError", "ImportError", "IndexError",
  "KeyError", "LookupError", "MemoryError", "NameError", "NotImplementedError", "OSError", "OverflowError",
  "PermissionError", "RecursionError", "ReferenceError", "RuntimeError", "StopIteration", "SystemError",
  "TimeoutError", "TypeError", "UnicodeError", "ValueError", "ZeroDivisionError",
];

/** Globals a reply may name: the exceptions above, a Token (a `#PROXY` reply) and RemoteError. */
export const REPLY_GLOBALS = recordGlobals([
  ...REPLY_EXCEPTIONS.map((name) => `builtins.${name}`),
  "multiprocessing.managers.Token",
  "multiprocessing.managers.RemoteError",
]);

/** One options object for every reply, not one made per frame. */
const REPLY_OPTIONS: PickleDecodeOptions = { globals: REPLY_GLOBALS };

/** How replies are decoded by a client whose replies may hold instances of `classes` ("module.Name"). */
export function replyDecoding(classes: readonly string[] | undefined): PickleDecodeOptions {
  return classes === undefined || classes.length === 0 ? REPLY_OPTIONS : { globals: withClasses(REPLY_GLOBALS, classes) };
}

/** The pickle of one request. Named arguments travel as kwds; Python 2.7 needs `protocol` 2. */
export function encodeRequest(ident: string | null, method: string, args: readonly unknown[], kwds: Record<string, unknown> = {}, protocol: 2 | 3 | 4 = 4): Uint8Array {
  return encodePickle(pickleTuple(ident, method, pickleTuple(...args), kwds), { protocol });
}

function isRecord(value: unknown): value is PickleRecord {
  return typeof value === "object" && value !== null && typeof (value as PickleRecord).__class__ === "string" && Array.isArray((value as PickleRecord).args);
}

/** Python's str() of an exception's arguments, near enough for a message. */
function exceptionText(args: unknown[]): string {
  if (args.length === 1) return typeof args[0] === "string" ? args[0] : JSON.stringify(args[0]) ?? String(args[0]);
  return args.map((a) => (typeof a === "string" ? a : String(a))).join(", ");
}

/** An RpcError for the Python exception record `exception`. */
export function pythonError(exception: unknown): RpcError {
  if (!isRecord(exception)) return new RpcError("INTERNAL", "the server raised something that is not an exception");
  const type = exception.__class__.slice(exception.__class__.lastIndexOf(".") + 1);
  return new RpcError(type, exceptionText(exception.args), { type, args: exception.args });
}

/** The last line of a Python traceback: `KeyError: 'nope'`, `module.Error: text`, or a bare type name. */
const EXCEPTION_LINE = /^([A-Za-z_][\w.]*)(?::[ \t]*(.*))?$/;

/** Longest message taken from a traceback's last line; the whole text stays in `data`. */
const MAX_MESSAGE = 1000;

/**
 * An RpcError for a `#TRACEBACK` reply: the code is the exception's type name read from the
 * traceback's last line (`KeyError`), the message that line's text, and the whole traceback
 * is in `data.traceback`, never the message. Text that does not end as a traceback does is
 * `RemoteError` with its last line.
 */
export function tracebackError(kind: string, text: string): RpcError {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  const last = lines[lines.length - 1] ?? "";
  const match = text.startsWith("Traceback") ? EXCEPTION_LINE.exec(last) : null;
  const type = match ? match[1]!.slice(match[1]!.lastIndexOf(".") + 1) : "RemoteError";
  const message = (match ? (match[2] ?? match[1]!) : last || "the server raised an error").slice(0, MAX_MESSAGE);
  return new RpcError(type, message, { kind, traceback: text });
}

/**
 * A `#PROXY` reply: the method's result is a new shared object on the server (a method in
 * the server's `method_to_typeid`), held there with one reference that the caller must drop.
 */
export class SharedResult {
  constructor(readonly ident: string, readonly typeid: string, readonly exposed: readonly string[]) {}
}

/** The shared object a `#PROXY` result `(exposed, Token)` names. */
function sharedResult(result: unknown): SharedResult {
  const [exposed, token] = Array.isArray(result) ? result : [];
  const state = isRecord(token) && token.__class__ === "multiprocessing.managers.Token" ? token.state : undefined;
  if (!Array.isArray(state) || typeof state[0] !== "string" || typeof state[2] !== "string") {
    throw new RpcError("PARSE_ERROR", "a #PROXY reply is (exposed, Token(typeid, address, id))");
  }
  return new SharedResult(state[2], state[0], Array.isArray(exposed) ? exposed.filter((n): n is string => typeof n === "string") : []);
}

/**
 * The value of a decoded reply, a {@link SharedResult} for `#PROXY`; throws RpcError for
 * `#ERROR`, `#TRACEBACK`, `#UNSERIALIZABLE`.
 */
export function replyValue(reply: unknown): unknown {
  if (!Array.isArray(reply) || reply.length !== 2 || typeof reply[0] !== "string") {
    throw new RpcError("PARSE_ERROR", "a manager reply is (kind, result)");
  }
  const [kind, result] = reply as [string, unknown];
  switch (kind) {
    case "#RETURN":
      return result;
    case "#PROXY":
      return sharedResult(result);
    case "#ERROR":
      throw pythonError(result);
    case "#TRACEBACK":
    case "#UNSERIALIZABLE":
      throw tracebackError(kind, typeof result === "string" ? result : String(result));
    default:
      throw new RpcError("PARSE_ERROR", `unknown reply kind ${JSON.stringify(kind).slice(0, 40)}`);
  }
}

/** Decodes a reply frame and returns its value (see {@link replyValue}). */
export function decodeReply(frame: Uint8Array, decoding: PickleDecodeOptions = REPLY_OPTIONS): unknown {
  return replyValue(decodePickle(frame, decoding));
}

/** The `(ident, exposed)` a `create` answers. */
export function createdReferent(value: unknown): { ident: string; exposed: string[] } {
  if (!Array.isArray(value) || typeof value[0] !== "string") throw new RpcError("PARSE_ERROR", "create answered something other than (ident, exposed)");
  const exposed = Array.isArray(value[1]) ? value[1].filter((n): n is string => typeof n === "string") : [];
  return { ident: value[0], exposed };
}
