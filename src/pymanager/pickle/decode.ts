/**
 * A pickle decoder that runs no code: an integer-state loop over the opcodes of protocols 0
 * to 5 that builds plain data, as CPython 2.7 and 3.x write it for None, bool, int, float,
 * str, bytes, bytearray, tuple, list, dict, set and frozenset, plus the globals a caller
 * allows (see pickle-globals.ts). Every other global, persistent ids, the extension registry
 * and out-of-band buffers are refused when first met, before anything is built from them.
 *
 * Python to JavaScript: None is null; an int is a number when it is a safe integer, else a
 * BigInt; bytes and bytearray are Uint8Array copies; a tuple and a list are arrays; a dict is
 * a plain object when every key is a str, else a Map; set and frozenset are Sets; Python 2's
 * str is a string when its bytes are UTF-8, else a Uint8Array. Shared and cyclic references
 * stay shared and cyclic. An allowed global becomes whatever its factory returns; BUILD sets
 * the `state` property of a plain object so made (a record), and is refused on anything else.
 *
 * Limits are checked before memory is spent: a length is compared with the bytes left
 * before anything is allocated from it, and memo size, nesting depth, stack size and integer
 * length are bounded (PickleDecodeOptions). The caller bounds the input's total size.
 */
import { RpcError } from "../../core/errors.js";
import { finishGraph, MAX_DEPTH_LIMIT } from "./graph.js";
import { allowListFor, applyGlobal, describe, findGlobal, GlobalKind, type AllowList } from "./globals.js";
import * as op from "./opcodes.js";
import { legacyText, PickleReader } from "./reader.js";
import { decodeEscapedString, decodeRawUnicodeEscape, parseDecimal, parseFloatText } from "./scalars.js";
import { DICT, LIST, OTHER, RECORD, SET, TUPLE, UnpicklingStack } from "./stack.js";
import type { PickleGlobals } from "./values.js";
import { markPython, tuple } from "./python-types.js";
import { UuidUnderConstruction } from "./stdlib-globals.js";
import { PyObject } from "../shared/py-object.js";
import { addMembers, memberKey, pySet } from "../shared/py-equality.js";

/** Options of {@link decodePickle}. */
export interface PickleDecodeOptions {
  /** Globals the pickle may name, beyond the built-in data forms. @default {} */
  globals?: PickleGlobals;
  /** Deepest nesting of containers, and most MARKs open at once; at most 1000. @default 64 */
  maxDepth?: number;
  /** Most memo entries; each keeps an object alive until the decode ends. @default 100000 */
  maxMemo?: number;
  /** Most values on the unpickling stack at once (a MARKed tuple of n items needs n). @default 1000000 */
  maxStack?: number;
  /**
   * Python 2's native `str` as its bytes (a Uint8Array), not as text, to tell it from a
   * `unicode` where Python itself does (an `array('u')` item). @default false
   */
  nativeStrAsBytes?: boolean;
}

/** Defaults of {@link PickleDecodeOptions}. */
export const PICKLE_DECODE_DEFAULTS = Object.freeze({ maxDepth: 64, maxMemo: 100_000, maxStack: 1_000_000 });

/**
 * A LONG4 of more bytes than this is refused. CPython uses LONG4 only past 255 bytes;
 * 1 KiB is an integer of some 2466 digits, far beyond any id or counter.
 */
export const MAX_LONG_BYTES = 1024;

interface Limits {
  readonly maxDepth: number;
  readonly maxMemo: number;
  readonly maxStack: number;
  readonly allow: AllowList;
  readonly nativeStrAsBytes?: boolean;
}

const DEFAULT_LIMITS: Limits = { ...PICKLE_DECODE_DEFAULTS, allow: allowListFor(undefined) };

function positiveInteger(value: number | undefined, name: keyof typeof PICKLE_DECODE_DEFAULTS): number {
  if (value === undefined) return PICKLE_DECODE_DEFAULTS[name];
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`PickleDecodeOptions.${name} must be a positive integer, got ${String(value)}`);
  }
  if (name === "maxDepth" && value > MAX_DEPTH_LIMIT) {
    throw new RangeError(`PickleDecodeOptions.maxDepth must be at most ${MAX_DEPTH_LIMIT}, got ${value}`);
  }
  return value;
}

function resolve(options: PickleDecodeOptions | undefined): Limits {
  if (options === undefined) return DEFAULT_LIMITS;
  return {
    maxDepth: positiveInteger(options.maxDepth, "maxDepth"),
    maxMemo: positiveInteger(options.maxMemo, "maxMemo"),
    maxStack: positiveInteger(options.maxStack, "maxStack"),
    allow: allowListFor(options.globals),
    nativeStrAsBytes: options.nativeStrAsBytes === true,
  };
}

/**
 * Decodes one pickle that must fill `bytes` exactly. Throws RpcError PARSE_ERROR for
 * malformed input or a refused global or opcode (message "pickle refused: ..."), and
 * RESOURCE_EXHAUSTED for input over a limit.
 *
 * @example decodePickle(frame, { globals: recordGlobals(["multiprocessing.managers.Token"]) })
 */
export function decodePickle(bytes: Uint8Array, options?: PickleDecodeOptions): unknown {
  const limits = resolve(options);
  const reader = new PickleReader(bytes);
  return run(reader, new UnpicklingStack(reader, limits), limits);
}

// BINFLOAT is big-endian; decoding is synchronous, so one scratch array serves every call.
const floatBytes = new Uint8Array(8);
const floatView = new DataView(floatBytes.buffer);

/** The opcode loop: one byte of state (the opcode), its arguments read in place. */
function run(r: PickleReader, s: UnpicklingStack, limits: Limits): unknown {
  const buf = r.buf;
  for (;;) {
    r.at = r.pos;
    const code = r.u8();
    switch (code) {
      case op.PROTO: {
        const version = r.u8();
        if (version > op.HIGHEST_PROTOCOL) throw r.fail(`unsupported protocol ${version}`);
        break;
      }
      case op.FRAME:
        // Frames only group opcodes for buffered reading; the whole pickle is in memory.
        if (r.u64() > r.end - r.pos) throw r.fail("FRAME is longer than the pickle");
        break;
      case op.STOP: return stop(r, s, limits);
      case op.MARK: s.mark(); break;
      case op.POP:
        // As CPython: POP with nothing above the MARK discards the MARK.
        if (s.values.length > s.fence()) s.pop();
        else if (s.marks.length > 0) s.marks.pop();
        else throw r.fail("POP on an empty stack");
        break;
      case op.POP_MARK: s.popMark(); break;
      case op.DUP: s.dup(); break;

      case op.NONE: s.push(null, 0); break;
      case op.NEWTRUE: s.push(true, 0); break;
      case op.NEWFALSE: s.push(false, 0); break;
      case op.BININT1: s.push(r.u8(), 0); break;
      case op.BININT2: s.push(r.u16(), 0); break;
      case op.BININT: s.push(r.u32() | 0, 0); break;
      case op.LONG1: s.push(r.long(r.u8()), 0); break;
      case op.LONG4: {
        const n = r.u32() | 0;
        if (n < 0) throw r.fail("LONG4 has a negative byte count");
        if (n > MAX_LONG_BYTES) throw new RpcError("RESOURCE_EXHAUSTED", `pickle LONG4 of ${n} bytes exceeds ${MAX_LONG_BYTES}`);
        s.push(r.long(n), 0);
        break;
      }
      case op.INT: {
        const [a, e] = r.line();
        if (e - a === 2 && buf[a] === 0x30 && (buf[a + 1] === 0x30 || buf[a + 1] === 0x31)) {
          s.push(buf[a + 1] === 0x31, 0); // protocol 0 spells True and False I01 and I00
        } else {
          s.push(parseDecimal(buf, a, e, "INT"), 0);
        }
        break;
      }
      case op.LONG: {
        const [a, e] = r.line();
        s.push(parseDecimal(buf, a, e > a && buf[e - 1] === 0x4c ? e - 1 : e, "LONG"), 0);
        break;
      }
      case op.BINFLOAT:
        r.need(8);
        floatBytes.set(buf.subarray(r.pos, r.pos + 8));
        r.pos += 8;
        s.push(floatView.getFloat64(0, false), 0);
        break;
      case op.FLOAT: {
        const [a, e] = r.line();
        s.push(parseFloatText(buf, a, e), 0);
        break;
      }

      case op.SHORT_BINUNICODE: s.push(r.text(r.u8(), "SHORT_BINUNICODE"), 0); break;
      case op.BINUNICODE: s.push(r.text(r.u32(), "BINUNICODE"), 0); break;
      case op.BINUNICODE8: s.push(r.text(r.u64(), "BINUNICODE8"), 0); break;
      case op.UNICODE: {
        const [a, e] = r.line();
        s.push(decodeRawUnicodeEscape(buf, a, e), 0);
        break;
      }
      case op.SHORT_BINBYTES: s.push(r.bytes(r.u8()), 0); break;
      case op.BINBYTES: s.push(r.bytes(r.u32()), 0); break;
      case op.BINBYTES8: s.push(r.bytes(r.u64()), 0); break;
      case op.BYTEARRAY8: s.push(markPython(r.bytes(r.u64()), "bytearray"), 0); break;
      case op.SHORT_BINSTRING: s.push(limits.nativeStrAsBytes ? r.bytes(r.u8()) : r.legacyString(r.u8()), 0); break;
      case op.BINSTRING: {
        const n = r.u32() | 0;
        if (n < 0) throw r.fail("BINSTRING has a negative byte count");
        s.push(limits.nativeStrAsBytes ? r.bytes(n) : r.legacyString(n), 0);
        break;
      }
      case op.STRING: {
        const [a, e] = r.line();
        if (e - a < 2 || buf[a] !== buf[e - 1] || (buf[a] !== 0x27 && buf[a] !== 0x22)) {
          throw r.fail("STRING argument is not quoted");
        }
        const raw = decodeEscapedString(buf, a + 1, e - 1);
        s.push(limits.nativeStrAsBytes ? raw : legacyText(raw), 0);
        break;
      }

      case op.EMPTY_TUPLE: s.push(tuple(), 1, TUPLE); break;
      case op.TUPLE1: case op.TUPLE2: case op.TUPLE3: {
        const items = s.popN(code - op.TUPLE1 + 1);
        s.push(markPython(items, "tuple"), s.nested(s.itemsDepth), TUPLE);
        break;
      }
      case op.TUPLE: {
        const items = s.popMark();
        s.push(markPython(items, "tuple"), s.nested(s.itemsDepth), TUPLE);
        break;
      }
      case op.EMPTY_LIST: s.push([], 1, LIST); break;
      case op.LIST: {
        const items = s.popMark();
        s.push(items, s.nested(s.itemsDepth), LIST);
        break;
      }
      case op.APPEND: {
        const depth = s.topDepth();
        const item = s.pop();
        s.target(LIST, "APPEND").push(item);
        s.deepen(depth);
        break;
      }
      case op.APPENDS: {
        const items = s.popMark();
        const list = s.target(LIST, "APPENDS");
        for (let k = 0; k < items.length; k++) list.push(items[k]);
        s.deepen(s.itemsDepth);
        break;
      }
      case op.EMPTY_DICT: s.push({}, 1, DICT); break;
      case op.DICT: {
        const items = s.popMark();
        const depth = s.itemsDepth;
        s.push({}, 1, DICT);
        s.setItems(items, depth, "DICT");
        break;
      }
      case op.SETITEM: {
        const valueDepth = s.topDepth();
        const value = s.pop();
        const depth = Math.max(valueDepth, s.topDepth());
        const key = s.pop();
        s.setItems([key, value], depth, "SETITEM");
        break;
      }
      case op.SETITEMS: {
        const items = s.popMark();
        s.setItems(items, s.itemsDepth, "SETITEMS");
        break;
      }
      case op.EMPTY_SET: s.push(new Set(), 1, SET); break;
      case op.ADDITEMS: {
        const items = s.popMark();
        const set = s.target(SET, "ADDITEMS");
        let keys = s.setKeys?.get(set);
        // A set([...]) global's own members, unless it is known to hold only strs and numbers.
        if (keys === undefined && set.size > 0 && s.plainSets?.has(set) !== true) keys = new Set([...set].map(memberKey));
        keys = addMembers(set, keys, items);
        if (keys !== undefined) (s.setKeys ??= new Map()).set(set, keys);
        else (s.plainSets ??= new Set()).add(set);
        s.deepen(s.itemsDepth);
        break;
      }
      case op.FROZENSET: {
        const items = s.popMark();
        s.push(markPython(pySet(items), "frozenset"), s.nested(s.itemsDepth));
        break;
      }

      case op.PUT: {
        const [a, e] = r.line();
        const index = parseDecimal(buf, a, e, "PUT");
        if (typeof index !== "number" || index < 0) throw r.fail("PUT index is not a memo index");
        s.put(index);
        break;
      }
      case op.BINPUT: s.put(r.u8()); break;
      case op.LONG_BINPUT: s.put(r.u32()); break;
      case op.MEMOIZE: s.memoize(); break;
      case op.GET: {
        const [a, e] = r.line();
        s.get(parseDecimal(buf, a, e, "GET"));
        break;
      }
      case op.BINGET: s.get(r.u8()); break;
      case op.LONG_BINGET: s.get(r.u32()); break;

      case op.GLOBAL: {
        const module = r.lineText("GLOBAL");
        const name = r.lineText("GLOBAL");
        s.push(findGlobal(limits.allow, module, name).ref, 0);
        break;
      }
      case op.STACK_GLOBAL: {
        const name = s.pop();
        const module = s.pop();
        if (typeof module !== "string" || typeof name !== "string") throw r.fail("STACK_GLOBAL needs two str values");
        s.push(findGlobal(limits.allow, module, name).ref, 0);
        break;
      }
      case op.INST: {
        const module = r.lineText("INST");
        const ref = findGlobal(limits.allow, module, r.lineText("INST")).ref;
        const args = s.popMark();
        apply(s, limits, ref, args, s.nested(s.itemsDepth), "INST");
        break;
      }
      case op.OBJ: {
        const items = s.popMark();
        if (items.length === 0) throw r.fail("OBJ without a class");
        apply(s, limits, items[0], items.slice(1), s.nested(s.itemsDepth), "OBJ");
        break;
      }
      case op.REDUCE: case op.NEWOBJ: {
        const name = code === op.REDUCE ? "REDUCE" : "NEWOBJ";
        const depth = s.topDepth();
        if (s.topKind() !== TUPLE) throw r.fail(`${name} needs an argument tuple, not a ${describe(s.values[s.top()])}`);
        const args = s.pop() as unknown[];
        const callable = s.pop();
        apply(s, limits, callable, args, depth, name);
        break;
      }
      case op.BUILD: {
        const depth = s.topDepth();
        const state = s.pop();
        const target = s.target(RECORD, "BUILD");
        if (target instanceof UuidUnderConstruction) {
          s.replaceTop(target.withState(state));
          s.deepen(depth);
          break;
        }
        try {
          Object.defineProperty(target, "state", { value: state, writable: true, enumerable: true, configurable: true });
        } catch {
          // The factory returned a frozen or sealed object: it takes no state.
          throw r.fail("BUILD on a value that cannot take state");
        }
        s.deepen(depth);
        break;
      }
      default: {
        const refused = op.REFUSED_OPCODES.get(code);
        if (refused !== undefined) throw new RpcError("PARSE_ERROR", `pickle refused: ${refused} at byte ${r.at}`);
        throw r.fail(`unknown opcode 0x${code.toString(16).padStart(2, "0")}`);
      }
    }
  }
}

function stop(r: PickleReader, s: UnpicklingStack, limits: Limits): unknown {
  if (s.marks.length > 0) throw r.fail(`STOP with ${s.marks.length} MARK(s) open`);
  if (s.values.length !== 1) throw r.fail(`STOP with ${s.values.length} values on the stack, not 1`);
  if (r.pos !== r.end) throw r.fail(`${r.end - r.pos} bytes after STOP`);
  const value = s.values[0];
  if (!s.shared && s.replacements === undefined) return value;
  return finishGraph(value, s.replacements, limits.maxDepth);
}

/** Applies an allowed global to `args` (of depth `argsDepth`) and pushes the result. */
function apply(s: UnpicklingStack, limits: Limits, callable: unknown, args: unknown[], argsDepth: number, opcode: string): void {
  const { entry, value } = applyGlobal(limits.allow, callable, args, opcode);
  let depth = 0;
  let kind = OTHER;
  if (entry.kind === GlobalKind.Set || entry.kind === GlobalKind.FrozenSet) {
    // set(list) holds the list's items: one level less than the argument tuple.
    depth = Math.max(argsDepth - 1, 1);
    if (entry.kind === GlobalKind.Set) kind = SET;
  } else if (entry.kind === GlobalKind.Dict || entry.kind === GlobalKind.List || entry.kind === GlobalKind.Stateful) {
    // An OrderedDict or a deque whose items follow (SETITEMS, APPENDS), a UUID whose state follows (BUILD).
    depth = Math.max(s.nested(argsDepth), 1);
    kind = entry.kind === GlobalKind.Dict ? DICT : entry.kind === GlobalKind.List ? LIST : RECORD;
  } else if (entry.kind === GlobalKind.Factory && typeof value === "object" && value !== null) {
    depth = s.nested(argsDepth);
    const proto = Object.getPrototypeOf(value);
    // A program's own class instance takes its state from BUILD, as a record does.
    if (proto === Object.prototype || proto === null || value instanceof PyObject) kind = RECORD;
    // A factory may return one object many times: depth is measured at the end.
    s.shared = true;
  }
  s.push(value, depth, kind);
}
