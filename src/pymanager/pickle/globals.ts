/**
 * The allow-list of globals a pickle may name. Nothing is imported or looked up by name at
 * decode time: a GLOBAL, STACK_GLOBAL or INST naming a pair not in this table is refused on
 * the spot, before any object is built. Besides the caller's entries, the table always holds
 * the few globals CPython's protocols 0 to 3 use to spell plain data (bytes, bytearray, set,
 * frozenset), `slice` (a list proxy's `l[1:3]`), the datetime module's value types (datetime, date, time, timedelta, timezone)
 * and the standard library's value classes of stdlib-globals.ts, each accepting only the argument shapes CPython writes.
 */
import { RpcError } from "../../core/errors.js";
import { PickleGlobalRef, type PickleFactory, type PickleGlobals } from "./values.js";
import { decodeDate, decodeDatetime, decodeTimedelta, decodeTimezone } from "./datetime.js";
import { markPython } from "./python-types.js";
import { pySet } from "../shared/py-equality.js";
import { decodeSlice } from "./slice.js";
import { decodeComplex, decodeCounter, decodeDecimal, decodeDeque, decodeFraction, decodeOrderedDict, decodeTime, decodeUuid } from "./stdlib-globals.js";

/** What applying a global yields, which decides how the decoder treats the result. */
export const GlobalKind = {
  /** bytes, bytearray, a datetime value or a slice: a leaf. */
  Bytes: 0,
  /** set: a mutable set, so ADDITEMS may follow. */
  Set: 1,
  /** frozenset. */
  FrozenSet: 2,
  /** A caller's factory: its result may receive BUILD. */
  Factory: 3,
  /** An OrderedDict: SETITEMS may follow. */
  Dict: 4,
  /** A deque: APPENDS may follow. */
  List: 5,
  /** A UUID: BUILD gives its state. */
  Stateful: 6,
} as const;
export type GlobalKind = (typeof GlobalKind)[keyof typeof GlobalKind];

export interface GlobalEntry {
  readonly ref: PickleGlobalRef;
  readonly kind: GlobalKind;
  readonly apply: PickleFactory;
}

/** A compiled allow-list: entries by "module\nname", and by the ref pushed on the stack. */
export interface AllowList {
  readonly byName: ReadonlyMap<string, GlobalEntry>;
  readonly byRef: ReadonlyMap<PickleGlobalRef, GlobalEntry>;
}

/** Error messages quote at most this much of a peer-chosen name. */
const MAX_QUOTED_NAME = 120;

/** A peer-chosen name fit for a log line: shortened, control and non-ASCII characters escaped. */
function quote(text: string): string {
  const short = text.length > MAX_QUOTED_NAME ? `${text.slice(0, MAX_QUOTED_NAME)}...` : text;
  return short.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

function refuse(message: string): RpcError {
  return new RpcError("PARSE_ERROR", `pickle refused: ${message}`);
}

/** Python 2 spellings of the builtins module; CPython maps them the same way (_compat_pickle). */
function canonicalModule(module: string): string {
  return module === "__builtin__" || module === "exceptions" ? "builtins" : module;
}

/** Text of `s` as Latin-1 bytes, as `_codecs.encode(s, "latin1")` makes them. */
function latin1Bytes(s: unknown, qualified: string): Uint8Array {
  if (typeof s !== "string") throw refuse(`${qualified} expects a str argument`);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) throw refuse(`${qualified}: character U+${c.toString(16)} is not Latin-1`);
    out[i] = c;
  }
  return out;
}

function isLatin1Name(encoding: unknown): boolean {
  return encoding === "latin1" || encoding === "latin-1";
}

// Protocols 0-2 write bytes as _codecs.encode(text, "latin1"), and b"" as bytes().
function codecsEncode(args: unknown[]): Uint8Array {
  if (args.length !== 2 || !isLatin1Name(args[1])) throw refuse("_codecs.encode is allowed only as (str, 'latin1')");
  return latin1Bytes(args[0], "_codecs.encode");
}

function emptyBytes(args: unknown[]): Uint8Array {
  if (args.length !== 0) throw refuse("builtins.bytes is allowed only with no arguments");
  return new Uint8Array(0);
}

// Python 3 writes bytearray(bytes) or bytearray(); Python 2.7 writes bytearray(unicode, "latin-1").
function byteArray(args: unknown[]): Uint8Array {
  if (args.length === 0) return markPython(new Uint8Array(0), "bytearray");
  if (args.length === 1 && args[0] instanceof Uint8Array) return markPython(new Uint8Array(args[0]), "bytearray");
  if (args.length === 2 && isLatin1Name(args[1])) return markPython(latin1Bytes(args[0], "builtins.bytearray"), "bytearray");
  throw refuse("builtins.bytearray is allowed only with bytes, or (str, 'latin-1')");
}

function setOf(args: unknown[], qualified: string): Set<unknown> {
  if (args.length === 0) return new Set();
  if (args.length === 1 && Array.isArray(args[0])) return pySet(args[0]);
  throw refuse(`${qualified} is allowed only with a list`);
}

const DATA_GLOBALS: ReadonlyArray<[string, string, GlobalKind, PickleFactory]> = [
  ["_codecs", "encode", GlobalKind.Bytes, codecsEncode],
  ["builtins", "bytes", GlobalKind.Bytes, emptyBytes],
  ["builtins", "bytearray", GlobalKind.Bytes, byteArray],
  ["builtins", "set", GlobalKind.Set, (args) => setOf(args, "builtins.set")],
  ["builtins", "frozenset", GlobalKind.FrozenSet, (args) => markPython(setOf(args, "builtins.frozenset"), "frozenset")],
  ["builtins", "slice", GlobalKind.Bytes, decodeSlice],
  ["datetime", "datetime", GlobalKind.Bytes, decodeDatetime],
  ["datetime", "date", GlobalKind.Bytes, decodeDate],
  ["datetime", "timedelta", GlobalKind.Bytes, decodeTimedelta],
  ["datetime", "timezone", GlobalKind.Bytes, decodeTimezone],
  ["datetime", "time", GlobalKind.Bytes, decodeTime],
  ["decimal", "Decimal", GlobalKind.Bytes, decodeDecimal],
  ["fractions", "Fraction", GlobalKind.Bytes, decodeFraction],
  ["builtins", "complex", GlobalKind.Bytes, decodeComplex],
  ["collections", "OrderedDict", GlobalKind.Dict, decodeOrderedDict],
  ["collections", "deque", GlobalKind.List, decodeDeque],
  ["collections", "Counter", GlobalKind.Bytes, decodeCounter],
  ["uuid", "UUID", GlobalKind.Stateful, decodeUuid],
];

function compile(globals: PickleGlobals | undefined): AllowList {
  const byName = new Map<string, GlobalEntry>();
  const add = (module: string, name: string, kind: GlobalKind, apply: PickleFactory): void => {
    byName.set(`${module}\n${name}`, { ref: new PickleGlobalRef(`${module}.${name}`), kind, apply });
  };
  if (globals !== undefined) {
    // Own keys only: a table built as an object literal must not offer "constructor" or
    // "__proto__" through its prototype.
    for (const module of Object.keys(globals)) {
      const names = globals[module];
      for (const name of Object.keys(names)) {
        const factory = names[name];
        if (typeof factory !== "function") throw new TypeError(`globals["${module}"]["${name}"] must be a function`);
        add(canonicalModule(module), name, GlobalKind.Factory, factory);
      }
    }
  }
  // The data forms win over a caller's entry of the same name: their shapes are checked here.
  for (const [module, name, kind, apply] of DATA_GLOBALS) add(module, name, kind, apply);
  const byRef = new Map<PickleGlobalRef, GlobalEntry>();
  for (const entry of byName.values()) byRef.set(entry.ref, entry);
  return { byName, byRef };
}

const compiled = new WeakMap<PickleGlobals, AllowList>();
const DATA_ONLY = compile(undefined);

/** The allow-list for a caller's table, compiled once per table object. */
export function allowListFor(globals: PickleGlobals | undefined): AllowList {
  if (globals === undefined) return DATA_ONLY;
  let list = compiled.get(globals);
  if (list === undefined) {
    list = compile(globals);
    compiled.set(globals, list);
  }
  return list;
}

/** The entry for `module`.`name`, or a refusal naming the global as the pickle spelled it. */
export function findGlobal(list: AllowList, module: string, name: string): GlobalEntry {
  const entry = list.byName.get(`${canonicalModule(module)}\n${name}`);
  if (entry === undefined) throw refuse(`global ${quote(module)}.${quote(name)} is not allowed`);
  return entry;
}

/**
 * Applies `callable` to `args`, checking first that it is an allowed global (the stack
 * could hold any value there). A factory's own failure refuses the pickle.
 */
export function applyGlobal(list: AllowList, callable: unknown, args: unknown[], opcode: string): { entry: GlobalEntry; value: unknown } {
  const entry = callable instanceof PickleGlobalRef ? list.byRef.get(callable) : undefined;
  if (entry === undefined) {
    throw new RpcError("PARSE_ERROR", `malformed pickle: ${opcode} applies a ${describe(callable)}, not an allowed global`);
  }
  try {
    return { entry, value: entry.apply(args, opcode) };
  } catch (err) {
    if (RpcError.is(err)) throw err;
    throw refuse(`${entry.ref.name} rejected its arguments: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** A short type name for error messages, in Python's terms where they exist. */
export function describe(value: unknown): string {
  if (value === null) return "None";
  if (Array.isArray(value)) return "list or tuple";
  if (value instanceof Map) return "dict";
  if (value instanceof Set) return "set";
  if (value instanceof Uint8Array) return "bytes";
  if (value instanceof PickleGlobalRef) return `global ${value.name}`;
  switch (typeof value) {
    case "string": return "str";
    case "number": return "number";
    case "bigint": return "int";
    case "boolean": return "bool";
    case "object": return "dict or object";
    default: return typeof value;
  }
}
