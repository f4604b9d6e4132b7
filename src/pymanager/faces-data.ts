/**
 * The Python faces of the shared data: `dict` (DictProxy), `list` (ListProxy), `Namespace`
 * (NamespaceProxy), `Value` (ValueProxy) and the `Iterator` a dict's `__iter__` answers as a
 * proxy of its own. Views come back as lists (`keys()`, `items()` of 2-tuples), as Python's
 * manager sends them.
 */
import { RpcError } from "../core/errors.js";
import { isTuple, tuple } from "./pickle/python-types.js";
import { PySlice, sliceBound } from "./pickle/slice.js";
import { pyRepr, pyTypeOf } from "./repr.js";
import { PyRange } from "./range-value.js";
import { SharedDict, SharedList, SharedNamespace, SharedValue } from "./shared/containers.js";
import { pyCompare, pyEquals } from "./shared/py-equality.js";
import { py2Compare } from "./shared/py2-order.js";
import { arg, pyInt, truthy, type Kwargs, type PyFace } from "./face.js";

/** What a dict's `__iter__` hands out: the keys as they were, one at a time. */
export class KeyIterator {
  #next = 0;
  constructor(private readonly keys: unknown[]) {}
  next(): unknown {
    if (this.#next >= this.keys.length) throw new RpcError("StopIteration", "");
    return this.keys[this.#next++];
  }
}

export const ITERATOR_FACE: PyFace<KeyIterator> = {
  typeid: "Iterator",
  // Python 2.7's IteratorProxy calls next, 3's __next__.
  exposed: ["__next__", "next", "send", "throw", "close"],
  methods: {
    __next__: (it) => it.next(),
    next: (it) => it.next(),
    close: () => null,
  },
  repr: () => "<dict_keyiterator object>",
};

/** The pairs of `dict(...)`'s or `update(...)`'s first argument: a dict, or an iterable of pairs. */
function pairsOf(source: unknown): [unknown, unknown][] {
  if (source === null || source === undefined) return [];
  if (source instanceof Map) return [...source.entries()];
  if (Array.isArray(source)) {
    return source.map((pair, i) => {
      if (!Array.isArray(pair) || pair.length !== 2) throw new RpcError("ValueError", `dictionary update sequence element #${i} has length ${Array.isArray(pair) ? pair.length : 1}; 2 is required`);
      return [pair[0], pair[1]];
    });
  }
  if (typeof source === "object" && !(source instanceof Uint8Array) && !(source instanceof Date) && !(source instanceof Set)) return Object.entries(source);
  throw notIterable(source);
}

/** The keyword arguments as pairs. */
function keywordPairs(kwargs: Kwargs): [unknown, unknown][] {
  return kwargs === null ? [] : Object.entries(kwargs);
}

function dictCopy(d: SharedDict): Map<unknown, unknown> {
  return d.toMap();
}

/** Python's KeyError carries the key itself: the client's `str(e)` is its repr, once. */
function missing(key: unknown): RpcError {
  return new RpcError("KeyError", pyRepr(key), { args: [key] });
}

export const DICT_FACE: PyFace<SharedDict> = {
  typeid: "dict",
  exposed: ["__contains__", "__delitem__", "__getitem__", "__iter__", "__len__", "__setitem__", "clear", "copy", "get", "items", "keys", "pop", "popitem", "setdefault", "update", "values"],
  methods: {
    __contains__: (d, [k]) => d.has(k),
    __delitem__: (d, [k]) => {
      if (!d.delete(k)) throw missing(k);
    },
    __getitem__: (d, [k]) => {
      if (!d.has(k)) throw missing(k);
      return d.get(k);
    },
    __iter__: (d) => new KeyIterator(d.keys()),
    __len__: (d) => d.size(),
    __setitem__: (d, [k, v]) => d.set(k, v),
    clear: (d) => d.clear(),
    copy: dictCopy,
    get: (d, [k, fallback]) => (d.has(k) ? d.get(k) : fallback ?? null),
    // Python 2.7's dict (and its DictProxy) has has_key.
    has_key: (d, [k]) => d.has(k),
    items: (d) => d.entries().map(([k, v]) => tuple(k, v)),
    keys: (d) => d.keys(),
    pop: (d, args) => {
      const [k] = args;
      if (d.has(k)) {
        const v = d.get(k);
        d.delete(k);
        return v;
      }
      if (args.length > 1) return args[1];
      throw missing(k);
    },
    popitem: (d) => {
      const entries = d.entries();
      if (entries.length === 0) throw new RpcError("KeyError", "'popitem(): dictionary is empty'", { args: ["popitem(): dictionary is empty"] });
      const [k, v] = entries[entries.length - 1];
      d.delete(k);
      return tuple(k, v);
    },
    setdefault: (d, [k, fallback]) => {
      if (!d.has(k)) d.set(k, fallback ?? null);
      return d.get(k);
    },
    update: (d, args, kwargs) => {
      for (const [k, v] of [...pairsOf(args[0]), ...keywordPairs(kwargs)]) d.set(k, v);
    },
    values: (d) => d.values(),
  },
  repr: (d, py2) => pyRepr(dictCopy(d), 0, py2),
  value: dictCopy,
  arity: {
    clear: [0, 0], copy: [0, 0], get: [1, 2], has_key: [1, 1], items: [0, 0], keys: [0, 0], pop: [1, 2], popitem: [0, 0],
    setdefault: [1, 2], update: [0, 1], values: [0, 0],
  },
};

/** The items of a Python iterable as it arrives: a list or tuple, a set, a str's characters, bytes' ints, a dict's keys. */
export function iterableOf(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (value instanceof Uint8Array) return [...value];
  if (value instanceof PyRange) return value.items();
  if (value instanceof Set) return [...value];
  if (typeof value === "string") return [...value];
  if (value instanceof Map) return [...value.keys()];
  throw notIterable(value);
}

/** Python's words for a value that is no iterable. */
function notIterable(value: unknown): RpcError {
  return new RpcError("TypeError", `'${pyTypeOf(value)}' object is not iterable`);
}

function indexOf(l: SharedList, value: unknown, start = 0, stop = Number.MAX_SAFE_INTEGER, missing = () => `${pyRepr(value)} is not in list`): number {
  const items = l.toArray();
  for (let i = Math.max(0, start < 0 ? start + items.length : start); i < Math.min(items.length, stop); i++) if (pyEquals(items[i], value)) return i;
  throw new RpcError("ValueError", missing());
}

/** Python's words for a value that is no integer where one is needed. */
function notAnInt(value: unknown): RpcError {
  return new RpcError("TypeError", `'${pyTypeOf(value)}' object cannot be interpreted as an integer`);
}

/** An int argument (`pop(i)`, `insert(i, v)`), else Python's TypeError naming the type. */
function intArg(value: unknown): number {
  if (typeof value !== "number" && typeof value !== "bigint" && typeof value !== "boolean") throw notAnInt(value);
  return pyInt(value, "the index");
}

/** A list index: an int, else Python's TypeError naming the type. */
function listIndex(i: unknown): number {
  if (typeof i === "number" && Number.isSafeInteger(i)) return i;
  if (typeof i === "bigint" || typeof i === "boolean") return pyInt(i, "list indices");
  throw new RpcError("TypeError", `list indices must be integers or slices, not ${pyTypeOf(i)}`);
}

/** `l * n` as the proxy calls it (`list.__mul__(n)`), with Python's words for an `n` that is no int. */
function repeat(items: unknown[], times: unknown): unknown[] {
  const n = intArg(times);
  const out: unknown[] = [];
  for (let i = 0; i < n; i++) out.push(...items);
  return out;
}

export const LIST_FACE: PyFace<SharedList> = {
  typeid: "list",
  exposed: ["__add__", "__contains__", "__delitem__", "__delslice__", "__getitem__", "__getslice__", "__len__", "__mul__", "__reversed__", "__rmul__", "__setitem__", "__setslice__", "append", "count", "extend", "index", "insert", "pop", "remove", "reverse", "sort", "__imul__"],
  methods: {
    __add__: (l, [other]) => {
      if (!Array.isArray(other) || isTuple(other)) throw new RpcError("TypeError", `can only concatenate list (not "${pyTypeOf(other)}") to list`);
      return [...l.toArray(), ...other];
    },
    __contains__: (l, [v]) => l.toArray().some((x) => pyEquals(x, v)),
    __delitem__: (l, [i]) => (i instanceof PySlice ? deleteSlice(l, i) : void l.splice(indexIn(l, i), 1)),
    __getitem__: (l, [i]) => (i instanceof PySlice ? i.positions(l.length()).map((k) => l.at(k)) : l.at(listIndex(i))),
    __len__: (l) => l.length(),
    __mul__: (l, [n]) => repeat(l.toArray(), n),
    __reversed__: (l) => l.toArray().reverse(),
    __rmul__: (l, [n]) => repeat(l.toArray(), n),
    __setitem__: (l, [i, v]) => (i instanceof PySlice ? assignSlice(l, i, iterableOf(v)) : l.set(listIndex(i), v)),
    // Python 2.7's list proxies slice through these, with omitted ends as sys.maxint.
    __getslice__: (l, [i, j]) => py2Slice(i, j).positions(l.length()).map((k) => l.at(k)),
    __setslice__: (l, [i, j, v]) => assignSlice(l, py2Slice(i, j), iterableOf(v)),
    __delslice__: (l, [i, j]) => deleteSlice(l, py2Slice(i, j)),
    append: (l, [v]) => void l.push(v),
    count: (l, [v]) => l.toArray().filter((x) => pyEquals(x, v)).length,
    extend: (l, [items]) => void l.push(...iterableOf(items)),
    // The value's repr in the message as the client's Python writes it (2.7: frozenset([2])).
    index: (l, [v, start, stop], _kwargs, _signal, era) =>
      indexOf(l, v, start === undefined ? 0 : pyInt(start, "start"), stop === undefined ? undefined : pyInt(stop, "stop"), () => `${pyRepr(v, 0, era?.replyProtocol === 2)} is not in list`),
    insert: (l, [i, v]) => {
      const n = l.length();
      const at = intArg(i);
      void l.splice(Math.min(n, Math.max(0, at < 0 ? at + n : at)), 0, v);
    },
    pop: (l, args) => {
      if (l.length() === 0) throw new RpcError("IndexError", "pop from empty list");
      const i = indexIn(l, args.length > 0 ? args[0] : -1, "pop index out of range");
      return l.splice(i, 1)[0];
    },
    remove: (l, [v]) => void l.splice(indexOf(l, v, 0, undefined, () => "list.remove(x): x not in list"), 1),
    reverse: (l) => void l.splice(0, l.length(), ...l.toArray().reverse()),
    sort: (l, args, kwargs, _signal, era) => {
      if (arg(args, kwargs, 0, "key", null) !== null) throw new RpcError("TypeError", "sort(key=...) cannot run a Python function on this server");
      // As CPython sorts in reverse: reversed, sorted stably, reversed back, so equal items keep their order.
      const reverse = truthy(arg(args, kwargs, 1, "reverse", false));
      const items = l.toArray();
      if (reverse) items.reverse();
      items.sort(era?.replyProtocol === 2 ? py2Compare : pyCompare);
      if (reverse) items.reverse();
      void l.splice(0, l.length(), ...items);
    },
    __imul__: (l, [n]) => void l.splice(0, l.length(), ...repeat(l.toArray(), n)),
  },
  repr: (l, py2) => pyRepr(l.toArray(), 0, py2),
  value: (l) => l.toArray(),
  arity: { append: [1, 1], count: [1, 1], extend: [1, 1], index: [1, 3], insert: [2, 2], pop: [0, 1], remove: [1, 1], reverse: [0, 0] },
};

/**
 * Python 2.7's `__getslice__(i, j)` bounds as a slice. The interpreter has already added the
 * length to negative bounds once; one still negative means before the start (list's own
 * __getslice__ clamps it to 0), never "from the end" again.
 */
export function py2Slice(i: unknown, j: unknown): PySlice {
  return new PySlice(Math.max(0, sliceBound(i, "start")), Math.max(0, sliceBound(j, "stop")), null);
}

/** `del l[slice]`: the selected positions removed, last first so the others stay put. */
function deleteSlice(l: SharedList, slice: PySlice): void {
  for (const k of slice.positions(l.length()).sort((a, b) => b - a)) l.splice(k, 1);
}

/** A sequence whose slices can be assigned: a shared list or Array. */
export interface Sliceable {
  length(): number;
  splice(start: number, deleteCount: number, ...items: unknown[]): unknown;
  set(index: number, value: unknown): void;
}

/**
 * `l[slice] = items`: a plain slice (step 1) is replaced by any number of items, as Python
 * does; an extended slice needs exactly as many items as it selects (`what` names the
 * items in that error: Python says "sequence" for a list, "array" for an array).
 */
export function assignSlice(l: Sliceable, slice: PySlice, items: unknown[], what = "sequence"): void {
  const positions = slice.positions(l.length());
  if ((slice.step ?? 1) === 1) {
    const n = l.length();
    const start = positions[0] ?? Math.min(n, Math.max(0, slice.start === null ? 0 : slice.start < 0 ? slice.start + n : slice.start));
    void l.splice(start, positions.length, ...items);
    return;
  }
  if (items.length !== positions.length) throw new RpcError("ValueError", `attempt to assign ${what} of size ${items.length} to extended slice of size ${positions.length}`);
  positions.forEach((k, i) => l.set(k, items[i]));
}

function indexIn(l: SharedList, i: unknown, message = "list index out of range"): number {
  const n = l.length();
  const at = intArg(i);
  const k = at < 0 ? at + n : at;
  if (k < 0 || k >= n) throw new RpcError("IndexError", message);
  return k;
}

function attributeName(value: unknown): string {
  if (typeof value !== "string") throw new RpcError("TypeError", "attribute name must be string");
  return value;
}

export const NAMESPACE_FACE: PyFace<SharedNamespace> = {
  typeid: "Namespace",
  exposed: ["__getattribute__", "__setattr__", "__delattr__"],
  methods: {
    __getattribute__: (ns, [name]) => ns.get(attributeName(name)),
    __setattr__: (ns, [name, value]) => ns.set(attributeName(name), value),
    __delattr__: (ns, [name]) => ns.delete(attributeName(name)),
  },
  repr: (ns, py2) => `Namespace(${Object.entries(ns.toObject()).filter(([k]) => !k.startsWith("_")).map(([k, v]) => `${k}=${pyRepr(v, 0, py2)}`).sort().join(", ")})`,
};

export const VALUE_FACE: PyFace<SharedValue> = {
  typeid: "Value",
  exposed: ["get", "set"],
  methods: {
    get: (v) => v.get(),
    set: (v, [value]) => v.set(value),
  },
  repr: (v, py2) => `Value(${pyRepr(v.typecode)}, ${pyRepr(v.get(), 0, py2)})`,
  value: (v) => v.get(),
};
