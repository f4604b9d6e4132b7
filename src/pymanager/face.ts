/**
 * How a shared object looks to Python's manager clients: the typeid its Token names, the
 * method names its proxy calls (Python's `exposed`), and each method with Python's
 * signature, positional arguments and keywords bound as Python binds them.
 */
import { RpcError } from "../core/errors.js";
import type { ClientEra } from "./client-era.js";

/** Keyword arguments of a request, or null when it sent none. */
export type Kwargs = Readonly<Record<string, unknown>> | null;

/**
 * One Python method of a shared object; `signal` aborts when the caller's connection closes (for
 * methods that wait); `era` tells what the handshake told of the caller's Python (a 2.7 client's `sort()`).
 */
export type PyMethod<S> = (self: S, args: unknown[], kwargs: Kwargs, signal: AbortSignal | undefined, era?: ClientEra) => unknown;

/** The Python side of one shared-object class. */
export interface PyFace<S = never> {
  /** The typeid a `#PROXY` Token names, which the client must have registered (SyncManager has them all). */
  readonly typeid: string;
  /** What the proxy calls, in Python's order. */
  readonly exposed: readonly string[];
  readonly methods: Readonly<Record<string, PyMethod<S>>>;
  /**
   * `repr()` on the server, for the proxy's `__str__`/`__repr__`; `py2` when the client is
   * Python 2.7, whose `str()` of a proxy fails on any text past ASCII.
   */
  repr(self: S, py2: boolean): string;
  /** What `#GETVALUE` (the proxy's `_getvalue()`) copies; absent where Python cannot pickle the object either. */
  value?(self: S): unknown;
  /**
   * How many positional arguments a method takes, `[min, max]`, for the methods a program
   * calls by name (the proxy's own dunder calls are always right): one called with others
   * fails as Python's does, instead of running on a missing argument.
   */
  readonly arity?: Readonly<Record<string, readonly [min: number, max: number]>>;
}

/**
 * Refuses a call with a number of positional arguments `method` does not take, in Python 3's
 * words (`get expected at least 1 argument, got 0`, `list.append() takes exactly one argument
 * (0 given)`).
 */
export function checkArity(face: PyFace<object>, method: string, given: number): void {
  const arity = face.arity !== undefined && Object.prototype.hasOwnProperty.call(face.arity, method) ? face.arity[method] : undefined;
  if (arity === undefined) return;
  const [min, max] = arity;
  if (given >= min && given <= max) return;
  const plural = (n: number) => `${n} argument${n === 1 ? "" : "s"}`;
  let message: string;
  if (max === 0) message = `${face.typeid}.${method}() takes no arguments (${given} given)`;
  else if (min === 1 && max === 1) message = `${face.typeid}.${method}() takes exactly one argument (${given} given)`;
  else if (min === max) message = `${method} expected ${plural(min)}, got ${given}`;
  else message = given < min ? `${method} expected at least ${plural(min)}, got ${given}` : `${method} expected at most ${plural(max)}, got ${given}`;
  throw new RpcError("TypeError", message);
}

/** Argument `name` (position `index`): a keyword, else the positional one, else `fallback`. */
export function arg(args: unknown[], kwargs: Kwargs, index: number, name: string, fallback: unknown): unknown {
  if (kwargs !== null && Object.prototype.hasOwnProperty.call(kwargs, name)) return kwargs[name];
  return index < args.length ? args[index] : fallback;
}

/** Python's truth of a flag argument (`block=0`, `blocking=False`). */
export function truthy(value: unknown): boolean {
  return !(value === false || value === 0 || value === 0n || value === null || value === undefined || value === "");
}

/** A Python timeout in seconds (None for none) as milliseconds. @throws RpcError ValueError when negative. */
export function pySeconds(value: unknown, what: string): number | undefined {
  if (value === null || value === undefined) return undefined;
  const seconds = typeof value === "bigint" ? Number(value) : value;
  if (typeof seconds !== "number" || Number.isNaN(seconds)) throw new RpcError("TypeError", `${what} must be a number or None`);
  if (seconds < 0) throw new RpcError("ValueError", `'${what}' must be a non-negative number`);
  return seconds * 1000;
}

/** An int argument. @throws RpcError TypeError otherwise. */
export function pyInt(value: unknown, what: string): number {
  const n = typeof value === "bigint" ? Number(value) : typeof value === "boolean" ? Number(value) : value;
  if (typeof n !== "number" || !Number.isSafeInteger(n)) throw new RpcError("TypeError", `${what} must be an integer`);
  return n;
}
