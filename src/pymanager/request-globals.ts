/**
 * The globals a manager request may name, per listener: a Token (get_methods' argument),
 * RemoteError and the proxy classes as inert records, a proxy passed as an argument
 * (`m.Condition(lock)`) as the object it names, `range` (and 2.7's `xrange`) as a PyRange,
 * `array.array` (a shared Array's slice assignment) as a PyArray, and the program's own
 * classes the listener names (`pymanager: { classes }`) as PyObjects.
 */
import { RpcError } from "../core/errors.js";
import { recordGlobals, type PickleDecodeOptions, type PickleFactory, type PickleGlobals } from "./pickle/pickle.js";
import { PROXY_CLASSES, rebuildProxy } from "./proxy-argument.js";
import { ARRAY_GLOBALS } from "./array-value.js";
import { rangeGlobal } from "./range-value.js";
import { PyObject } from "./shared/py-object.js";

const MANAGER_RECORDS = recordGlobals(["Token", "RemoteError", ...PROXY_CLASSES].map((name) => `multiprocessing.managers.${name}`));
const BASE_GLOBALS: PickleGlobals = {
  "multiprocessing.managers": { ...MANAGER_RECORDS["multiprocessing.managers"], RebuildProxy: rebuildProxy },
  builtins: { range: rangeGlobal("range"), xrange: rangeGlobal("xrange") },
  array: ARRAY_GLOBALS,
};

/** How a listener's requests are decoded: plainly, and again with Python 2's native strs as bytes. */
export interface RequestDecoding {
  readonly request: PickleDecodeOptions;
  readonly nativeStr: PickleDecodeOptions;
}

const BASE: RequestDecoding = { request: { globals: BASE_GLOBALS }, nativeStr: { globals: BASE_GLOBALS, nativeStrAsBytes: true } };

/** The decoding of a listener whose clients may store instances of `classes` ("module.Name"). */
export function requestDecoding(classes: readonly string[] | undefined): RequestDecoding {
  if (classes === undefined || classes.length === 0) return BASE;
  const table = withClasses(BASE_GLOBALS, classes);
  return { request: { globals: table }, nativeStr: { globals: table, nativeStrAsBytes: true } };
}

/** `globals` plus a PyObject factory for each of `classes`; the entries of `globals` win over a class named like one. */
export function withClasses(globals: PickleGlobals, classes: readonly string[]): PickleGlobals {
  const table: Record<string, Record<string, PickleFactory>> = Object.create(null);
  for (const className of classes) {
    const dot = className.lastIndexOf(".");
    (table[className.slice(0, dot)] ??= Object.create(null))[className.slice(dot + 1)] = classFactory(className);
  }
  for (const [module, names] of Object.entries(globals)) table[module] = { ...table[module], ...names };
  return table;
}

/** Builds a PyObject as the pickle says: NEWOBJ (`cls.__new__(cls, *args)`) or REDUCE (`cls(*args)`); BUILD adds its state. */
function classFactory(className: string): PickleFactory {
  return (args, opcode) => {
    if (opcode === "NEWOBJ") return new PyObject(className, args, undefined, "newobj");
    if (opcode === "REDUCE") return new PyObject(className, args, undefined, "reduce");
    // INST and OBJ: Python 2's classic classes, which skip __init__ in a way no later call repeats.
    throw new RpcError("PARSE_ERROR", `pickle refused: ${className} is a Python 2 classic class (built by ${opcode}); make it inherit from object to store its instances`);
  };
}
