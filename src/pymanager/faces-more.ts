/**
 * The Python faces of SyncManager's `Array` (ArrayProxy, over `array.array`) and `Barrier`
 * (BarrierProxy, over `threading.Barrier`, whose `parties`, `n_waiting` and `broken` the
 * proxy reads through `__getattribute__`).
 */
import { RpcError } from "../core/errors.js";
import { PickleGlobal, PickleNativeStr } from "./pickle/pickle.js";
import { PySlice } from "./pickle/slice.js";
import { floatRepr, pyRepr } from "./repr.js";
import { SharedArray } from "./shared/array.js";
import { SharedBarrier } from "./shared/barrier.js";
import { arg, pyInt, pySeconds, type PyFace } from "./face.js";
import { py2Slice } from "./faces-data.js";

/** An item as Python reads it: a float array's integral item still a float (`float(2)`, not the int 2). */
function item(a: SharedArray, value: number | bigint): unknown {
  return a.isFloat && Number.isSafeInteger(value) && !Object.is(value, -0) ? new PickleGlobal("builtins", "float", { args: [value] }) : value;
}

/** A copy as Python pickles it, `array.array(typecode, [items])` (2.7 needs the typecode as a native str). */
function arrayOf(a: SharedArray, items: (number | bigint)[]): PickleGlobal {
  return new PickleGlobal("array", "array", { args: [new PickleNativeStr(a.typecode), items] });
}

function itemRepr(a: SharedArray, value: number | bigint): string {
  return a.isFloat ? floatRepr(Number(value)) : pyRepr(value);
}

function sliceOf(a: SharedArray, slice: PySlice): PickleGlobal {
  const items = a.toArray();
  return arrayOf(a, slice.positions(items.length).map((k) => items[k]!));
}

const NO_SLICE_ASSIGNMENT = "assigning a slice of a shared Array is not served; assign its items one index at a time";

export const ARRAY_FACE: PyFace<SharedArray> = {
  typeid: "Array",
  exposed: ["__len__", "__getitem__", "__setitem__", "__getslice__", "__setslice__"],
  methods: {
    __len__: (a) => a.length(),
    __getitem__: (a, [i]) => (i instanceof PySlice ? sliceOf(a, i) : item(a, a.at(pyInt(i, "array indices")))),
    __setitem__: (a, [i, v]) => {
      if (i instanceof PySlice) throw new RpcError("TypeError", NO_SLICE_ASSIGNMENT);
      a.set(pyInt(i, "array indices"), v);
    },
    // Python 2.7's proxy slices through these.
    __getslice__: (a, [i, j]) => sliceOf(a, py2Slice(i, j)),
    __setslice__: () => {
      throw new RpcError("TypeError", NO_SLICE_ASSIGNMENT);
    },
  },
  repr: (a) => `array(${pyRepr(a.typecode)}${a.length() === 0 ? "" : `, [${a.toArray().map((v) => itemRepr(a, v)).join(", ")}]`})`,
  value: (a) => arrayOf(a, a.toArray()),
};

const BARRIER_ATTRIBUTES: Readonly<Record<string, (b: SharedBarrier) => unknown>> = {
  parties: (b) => b.parties,
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
  repr: (b) => `<threading.Barrier: waiters=${b.nWaiting}/${b.parties}>`,
};
