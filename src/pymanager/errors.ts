/**
 * How a failure reaches a Python manager client. An error that names a Python exception
 * (by RpcError code, by a farcall code with an obvious Python meaning, or by the JavaScript
 * error's name) travels as `('#ERROR', builtins.<Name>(message))`, which the client raises
 * as that exception, so `except KeyError:` works. Anything else travels as
 * `('#TRACEBACK', text)`, which the client raises as `multiprocessing.managers.RemoteError`.
 */
import { PickleGlobal, pickleTuple, type PickleTuple } from "./pickle/pickle.js";
import { RpcError } from "../core/errors.js";

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

/** The reply for a failed call: `#ERROR` with a Python exception, or `#TRACEBACK` text. */
export function errorReply(error: unknown): PickleTuple {
  const code = RpcError.is(error) ? error.code : undefined;
  const qualified = typeof code === "string" && Object.prototype.hasOwnProperty.call(MODULE_EXCEPTIONS, code) ? MODULE_EXCEPTIONS[code] : undefined;
  if (qualified !== undefined) return pickleTuple("#ERROR", new PickleGlobal(qualified[0], qualified[1], { args: [] }));
  const name = pythonExceptionName(error);
  if (name !== undefined) return pickleTuple("#ERROR", new PickleGlobal("builtins", name, { args: [messageOf(error)] }));
  return tracebackReply(`${RpcError.from(error).code}: ${messageOf(error)}`);
}

/** A `#TRACEBACK` reply; the text ends with a newline as Python's tracebacks do. */
export function tracebackReply(text: string): PickleTuple {
  return pickleTuple("#TRACEBACK", text.endsWith("\n") ? text : `${text}\n`);
}
