/**
 * How a failure reaches a Python manager client. An error that names a Python exception
 * (by RpcError code, by a farcall code with an obvious Python meaning, or by the JavaScript
 * error's name) travels as `('#ERROR', builtins.<Name>(message))`, which the client raises
 * as that exception, so `except KeyError:` works. Anything else travels as
 * `('#TRACEBACK', text)`, which the client raises as `multiprocessing.managers.RemoteError`.
 */
import { PickleGlobal, PickleNativeStr, pickleTuple, type PickleTuple } from "./pickle/pickle.js";
import { RpcError } from "../core/errors.js";
import { escapeCode } from "./repr.js";

/**
 * The builtins exceptions a reply may name. The client's unpickler imports and calls the
 * class with one str argument, so only exceptions that accept that and do nothing else.
 */
const PYTHON_EXCEPTIONS: ReadonlySet<string> = new Set([
  "ArithmeticError", "AssertionError", "AttributeError", "Exception", "IndexError", "KeyError",
  "LookupError", "NotImplementedError", "OverflowError", "PermissionError", "RuntimeError", "StopIteration",
  "TimeoutError", "TypeError", "ValueError", "ZeroDivisionError",
]);

/** farcall codes and JavaScript error names with a Python exception of the same meaning. */
const PYTHON_EQUIVALENTS: Readonly<Record<string, string>> = Object.freeze({
  NOT_FOUND: "KeyError",
  INVALID_PARAMS: "TypeError",
  METHOD_NOT_FOUND: "AttributeError",
  PERMISSION_DENIED: "PermissionError",
  DEADLINE_EXCEEDED: "TimeoutError",
  RangeError: "ValueError",
  TypeError: "TypeError",
});

/**
 * Exceptions outside builtins, by farcall code: a shared queue's timeouts and a broken
 * barrier, which the client catches as `queue.Empty` / `queue.Full` (Python 2.7 reads the
 * module as `Queue`, which the pickle writer names at protocol 2) and `threading.BrokenBarrierError`.
 */
const MODULE_EXCEPTIONS: Readonly<Record<string, readonly [string, string]>> = Object.freeze({
  QUEUE_EMPTY: ["queue", "Empty"],
  QUEUE_FULL: ["queue", "Full"],
  BROKEN_BARRIER: ["threading", "BrokenBarrierError"],
});

/** The Python exception name `error` asks for, or undefined. */
export function pythonExceptionName(error: unknown): string | undefined {
  const candidates: unknown[] = [];
  if (RpcError.is(error)) candidates.push(error.code);
  if (error instanceof Error) candidates.push(error.name);
  for (const c of candidates) {
    if (typeof c !== "string") continue;
    if (PYTHON_EXCEPTIONS.has(c)) return c;
    const mapped = Object.prototype.hasOwnProperty.call(PYTHON_EQUIVALENTS, c) ? PYTHON_EQUIVALENTS[c] : undefined;
    if (mapped !== undefined) return mapped;
  }
  return undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The reply for a failed call: `#ERROR` with a Python exception, or, for an error Python has no
 * exception for, a traceback (see {@link serverTraceback}) whose last line is `CODE: message`,
 * so that farcall's own client reads the code back.
 */
export function errorReply(error: unknown, protocol?: number): PickleTuple {
  const code = RpcError.is(error) ? error.code : undefined;
  const qualified = typeof code === "string" && Object.prototype.hasOwnProperty.call(MODULE_EXCEPTIONS, code) ? MODULE_EXCEPTIONS[code] : undefined;
  if (qualified !== undefined) return pickleTuple("#ERROR", new PickleGlobal(qualified[0], qualified[1], { args: [] }));
  const name = pythonExceptionName(error);
  if (name !== undefined) return pickleTuple("#ERROR", new PickleGlobal("builtins", name, { args: pythonArgsOf(error) }));
  return serverTraceback("serve_client", [exceptionLine(error)], protocol);
}

/**
 * The exception's arguments: an RpcError may carry Python's own in `data.args` (a KeyError's
 * key itself, so `str(e)` is `'k'` as Python prints it, not the repr of a repr); else the message.
 */
function pythonArgsOf(error: unknown): unknown[] {
  const data = RpcError.is(error) ? (error.data as { args?: unknown } | undefined) : undefined;
  return Array.isArray(data?.args) ? data.args : [messageOf(error)];
}

/** A `#TRACEBACK` reply; the text ends with a newline as Python's tracebacks do. See {@link serverTraceback} for `protocol`. */
export function tracebackReply(text: string, protocol?: number): PickleTuple {
  const ended = text.endsWith("\n") ? text : `${text}\n`;
  return pickleTuple("#TRACEBACK", protocol === 2 ? new PickleNativeStr(asciiEscaped(ended)) : ended);
}

/** `Type: message`, the last line of a Python traceback, for `error`. */
export function exceptionLine(error: unknown): string {
  return `${pythonExceptionName(error) ?? RpcError.from(error).code}: ${messageOf(error)}`;
}

/** What Python 3's format_exc writes between an exception and one raised while handling it. */
const CHAINED = "\n\nDuring handling of the above exception, another exception occurred:\n\n";

/**
 * The reply Python's server sends for a failure outside a referent's own method (a server
 * request such as `create`, an unknown object, an unexposed method): `#TRACEBACK`, which the
 * client raises as `RemoteError`; the exception is the text's last line (farcall's client reads
 * it back as the code). `lines` are the exceptions in the order raised (Python chains an
 * unexposed method's AttributeError to the KeyError of its fallback lookup). Python 2.7's
 * client asserts that the text is a native str: for protocol 2 it is one, with anything past
 * ASCII escaped.
 *
 * The text has the shape of Python's own server's: a `File "...", line N, in function` line
 * for each frame Python's server would list (`_handle_request` then `create` for a server
 * request; `serve_client` on an accepted stream), so a program or tool that reads a
 * traceback finds its parts; the file is `<farcall manager server>` and the line 0, since no
 * Python source ran. `request` is a server request's name, `"handle_request"` for a request
 * refused before it was read, or `"serve_client"`.
 */
export function serverTraceback(request: string, lines: readonly string[], protocol?: number): PickleTuple {
  // Python 2.7 to 3.9 name the handler handle_request, 3.10 and later _handle_request; only 2.7 can be told apart.
  const handler = protocol === 2 ? "handle_request" : "_handle_request";
  const frames = request === "serve_client" ? [request] : SERVER_REQUESTS.has(request) ? [handler, request] : [handler];
  const header = `Traceback (most recent call last):\n${frames.map((f) => `  File "<farcall manager server>", line 0, in ${f}\n`).join("")}`;
  return tracebackReply(lines.map((line) => header + line).join(CHAINED), protocol);
}

/** Python's server requests (`Server.public`), each a function of its own in Python's tracebacks. */
const SERVER_REQUESTS: ReadonlySet<string> = new Set(["shutdown", "create", "accept_connection", "get_methods", "debug_info", "number_of_objects", "dummy", "incref", "decref"]);

/** Text past ASCII as Python's repr escapes it, for a 2.7 native str. */
function asciiEscaped(text: string): string {
  return text.replace(/[^\x00-\x7f]/gu, (ch) => escapeCode(ch.codePointAt(0)!));
}
