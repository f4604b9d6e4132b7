/**
 * The Python faces of SyncManager's `Array` (ArrayProxy, over `array.array`) and `Barrier`
 * (BarrierProxy, over `threading.Barrier`, whose `parties`, `n_waiting` and `broken` the
 * proxy reads through `__getattribute__`).
 */
import { RpcError } from "../core/errors.js";
import { PickleGlobal } from "./pickle/pickle.js";
import { PySlice } from "./pickle/slice.js";
import { pyRepr, pyTypeOf } from "./repr.js";
import { arrayRepr, byteCharsAsBytes, PyArray, unicodeText } from "./array-value.js";
import { SharedArray, type ArrayItem } from "./shared/array.js";
import { SharedBarrier } from "./shared/barrier.js";
import { PythonBarrier } from "./loose-arguments.js";
import { arg, pyInt, pySeconds, type PyFace } from "./face.js";
import { assignSlice, py2Slice } from "./faces-data.js";

/**
 * An item as Python reads it: a float array's integral item still a float (`float(2)`, not
 * the int 2), a text array's character a `unicode` on 2.7 too, a `c` array's byte a native
 * str (bytes, which protocol 2 writes as 2.7's str).
 */
function item(a: SharedArray, value: ArrayItem): unknown {
  if (typeof value === "string") return a.typecode === "c" ? byteCharsAsBytes([value]) : unicodeText(value);
  return a.isFloat && Number.isSafeInteger(value) && !Object.is(value, -0) ? new PickleGlobal("builtins", "float", { args: [value] }) : value;
}


function sliceOf(a: SharedArray, slice: PySlice): PyArray {
  const items = a.toArray();
  return new PyArray(a.typecode, slice.positions(items.length).map((k) => items[k]!));
}

/** `a[slice] = other`, with `array.array`'s rules: only an array of the same typecode, of the same length for an extended slice. */
function assignArraySlice(a: SharedArray, slice: PySlice, other: unknown): void {
  if (!(other instanceof PyArray)) throw new RpcError("TypeError", `can only assign array (not "${pyTypeOf(other)}") to array slice`);
  if (other.typecode !== a.typecode) throw new RpcError("TypeError", "bad argument type for built-in operation");
  assignSlice(a, slice, [...other.items], "array");
}

export const ARRAY_FACE: PyFace<SharedArray> = {
  typeid: "Array",
  exposed: ["__len__", "__getitem__", "__setitem__", "__getslice__", "__setslice__"],
  methods: {
    __len__: (a) => a.length(),
    __getitem__: (a, [i]) => (i instanceof PySlice ? sliceOf(a, i) : item(a, a.at(pyInt(i, "array indices")))),
    __setitem__: (a, [i, v]) => (i instanceof PySlice ? assignArraySlice(a, i, v) : a.set(pyInt(i, "array indices"), v)),
    // Python 2.7's proxy slices through these.
    __getslice__: (a, [i, j]) => sliceOf(a, py2Slice(i, j)),
    __setslice__: (a, [i, j, v]) => assignArraySlice(a, py2Slice(i, j), v),
  },
  repr: (a, py2) => arrayRepr(a.typecode, a.toArray(), py2),
  value: (a) => new PyArray(a.typecode, a.toArray()),
};

const BARRIER_ATTRIBUTES: Readonly<Record<string, (b: SharedBarrier) => unknown>> = {
  parties: (b) => (b instanceof PythonBarrier ? b.pythonParties : b.parties),
  n_waiting: (b) => b.nWaiting,
  broken: (b) => b.broken,
};

export const BARRIER_FACE: PyFace<SharedBarrier> = {
  typeid: "Barrier",
  exposed: ["__getattribute__", "wait", "abort", "reset"],
  methods: {
    __getattribute__: (b, [name]) => {
      const read = typeof name === "string" && Object.prototype.hasOwnProperty.call(BARRIER_ATTRIBUTES, name) ? BARRIER_ATTRIBUTES[name] : undefined;
      if (read === undefined) throw new RpcError("AttributeError", `'Barrier' object has no attribute ${pyRepr(name)} served`);
      return read(b);
    },
    wait: (b, args, kwargs, signal) => b.wait({ timeoutMs: pySeconds(arg(args, kwargs, 0, "timeout", null), "timeout"), signal }),
    abort: (b) => b.abort(),
    reset: (b) => b.reset(),
  },
  repr: (b) => `<threading.Barrier: waiters=${b.nWaiting}/${pyRepr(BARRIER_ATTRIBUTES.parties!(b))}>`,
};
