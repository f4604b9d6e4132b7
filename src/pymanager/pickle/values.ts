/**
 * The JavaScript values that stand for Python values with no JavaScript equivalent: a tuple
 * and a call of a named global on the way out, a record of an allowed global on the way in.
 * Shared by pickle-encode.ts and pickle-decode.ts.
 */

/**
 * A Python tuple to encode. Arrays encode as lists; wrap items in this (or call
 * {@link pickleTuple}) where Python must receive a tuple, as in the manager protocol's
 * `(ident, methodname, args, kwds)` request. Decoded tuples are plain arrays.
 */
export class PickleTuple {
  constructor(readonly items: readonly unknown[]) {}
}

/** A Python tuple of `items`, for {@link encodePickle}. */
export function pickleTuple(...items: unknown[]): PickleTuple {
  return new PickleTuple(items);
}

/**
 * A Python `str` that a Python 2 peer must receive as its native byte string, not as
 * `unicode`: written as SHORT_BINSTRING/BINSTRING at protocol 2 when it is ASCII (what a
 * Python 2 server writes for a str), as an ordinary str from protocol 3 on. Python 3 reads
 * either as `str`. Needed where Python 2 insists on `str`, such as a Token's typeid, which
 * it passes to `type()`.
 */
export class PickleNativeStr {
  constructor(readonly text: string) {}
}

/** How a {@link PickleGlobal} is built on the Python side. */
export interface PickleGlobalInit {
  /** Positional arguments of the call. @default [] */
  args?: readonly unknown[];
  /** State applied afterwards with BUILD (`__setstate__` or `__dict__.update`). @default none */
  state?: unknown;
  /**
   * Build with NEWOBJ (`cls.__new__(cls, *args)`, then BUILD) as CPython does for objects
   * whose class defines `__getstate__`, such as `multiprocessing.managers.Token`; otherwise
   * with REDUCE (`cls(*args)`), as for exceptions.
   * @default false
   */
  newobj?: boolean;
}

/**
 * A call of a module-level Python global to encode, e.g. the manager protocol's Token:
 *
 * @example new PickleGlobal("multiprocessing.managers", "Token",
 *   { newobj: true, state: pickleTuple("get", pickleTuple("127.0.0.1", 5000), "7f12") })
 * @example new PickleGlobal("builtins", "KeyError", { args: ["a"] })
 *
 * The peer's unpickler imports and calls this global: only name ones it is expected to
 * accept. Protocol 2 writes `builtins` as `__builtin__` so a Python 2.7 peer finds it.
 */
export class PickleGlobal {
  readonly args: readonly unknown[];
  readonly state: unknown;
  readonly newobj: boolean;

  constructor(readonly module: string, readonly name: string, init: PickleGlobalInit = {}) {
    this.args = init.args ?? [];
    this.state = init.state;
    this.newobj = init.newobj ?? false;
  }
}

/**
 * Builds the JavaScript value for one allowed global, called with the argument tuple of the
 * REDUCE, NEWOBJ, OBJ or INST that applies it, and that opcode's name. It must only describe, never act: return
 * plain data (see {@link pickleRecord}). Throwing refuses the pickle (an RpcError keeps its
 * code, anything else becomes PARSE_ERROR).
 */
export type PickleFactory = (args: unknown[], opcode?: string) => unknown;

/**
 * The globals a pickle may name, beyond the built-in data forms, as
 * `{ "module": { "name": factory } }`. Exact pairs only: a pickle naming anything else is
 * refused before anything is built. Python 2's `__builtin__` and `exceptions` modules are
 * looked up as `builtins`.
 */
export type PickleGlobals = Readonly<Record<string, Readonly<Record<string, PickleFactory>>>>;

/**
 * What {@link pickleRecord} factories build: the global's qualified name, its arguments,
 * and the state a BUILD opcode gave it (absent when none did). A record is data, never an
 * instance: `{ __class__: "multiprocessing.managers.Token", args: [],
 * state: ["get", ["127.0.0.1", 5000], "7f12"] }`.
 */
export interface PickleRecord {
  __class__: string;
  args: unknown[];
  state?: unknown;
}

/** A factory that records a call of `qualifiedName` as a {@link PickleRecord}. */
export function pickleRecord(qualifiedName: string): PickleFactory {
  return (args) => ({ __class__: qualifiedName, args }) satisfies PickleRecord;
}

/**
 * An allow-list of record-building globals from qualified names, split at the last dot:
 * `recordGlobals(["multiprocessing.managers.Token", "builtins.KeyError"])`.
 */
export function recordGlobals(qualifiedNames: readonly string[]): PickleGlobals {
  const table: Record<string, Record<string, PickleFactory>> = Object.create(null);
  for (const qualified of qualifiedNames) {
    const dot = qualified.lastIndexOf(".");
    if (dot <= 0 || dot === qualified.length - 1) {
      throw new TypeError(`recordGlobals: "${qualified}" is not a module.name pair`);
    }
    const module = qualified.slice(0, dot);
    (table[module] ??= Object.create(null))[qualified.slice(dot + 1)] = pickleRecord(qualified);
  }
  return table;
}

/**
 * A global the pickle named but never called (Python would hand back the class or
 * function itself). It is inert: it carries the name only.
 */
export class PickleGlobalRef {
  constructor(readonly name: string) {
    Object.freeze(this);
  }
}
