/**
 * The Python methods a plain JavaScript value answers when it is held as a manager
 * referent: what Python's seed clients call on a proxy (`conjugate()` on a number,
 * `len()`, indexing, `keys()`, `items()`, `get()` on a dict), with Python's meaning. The
 * `exposed` names become methods of the client's AutoProxy class, so each must be a valid
 * Python identifier.
 */
import { RpcError } from "../core/errors.js";
import { PickleGlobal, PickleTuple } from "./pickle/pickle.js";

type ValueMethod = (self: unknown, args: unknown[]) => unknown;

/** A failure Python sees as `builtins.<name>` (see pymanager-errors.ts). */
function pyError(name: string, message: string): RpcError {
  return new RpcError(name, message);
}

function isInt(v: unknown): v is number | bigint | boolean {
  return typeof v === "bigint" || typeof v === "boolean" || (typeof v === "number" && Number.isSafeInteger(v) && !Object.is(v, -0));
}

function asInt(v: number | bigint | boolean): number | bigint {
  return typeof v === "boolean" ? (v ? 1 : 0) : v;
}

function index(length: number, key: unknown): number {
  if (typeof key !== "number" || !Number.isInteger(key)) throw pyError("TypeError", "indices must be integers");
  const i = key < 0 ? key + length : key;
  if (i < 0 || i >= length) throw pyError("IndexError", "index out of range");
  return i;
}

function own(obj: object, key: unknown): boolean {
  return typeof key === "string" && Object.prototype.hasOwnProperty.call(obj, key);
}

const INT_METHODS: Record<string, ValueMethod> = {
  conjugate: (v) => asInt(v as number),
  __int__: (v) => asInt(v as number),
  __float__: (v) => pyFloat(Number(asInt(v as number))),
  __index__: (v) => asInt(v as number),
  bit_length: (v) => { const n = BigInt(asInt(v as number)); return (n < 0n ? -n : n).toString(2).replace(/^0$/, "").length; },
  is_integer: () => true,
};

const FLOAT_METHODS: Record<string, ValueMethod> = {
  conjugate: (v) => pyFloat(v as number),
  __float__: (v) => pyFloat(v as number),
  __int__: (v) => {
    if (!Number.isFinite(v as number)) throw pyError(Number.isNaN(v) ? "ValueError" : "OverflowError", "cannot convert float to integer");
    return Math.trunc(v as number);
  },
  is_integer: (v) => Number.isInteger(v),
};

const STR_METHODS: Record<string, ValueMethod> = {
  __len__: (v) => [...(v as string)].length,
  __getitem__: (v, [k]) => { const chars = [...(v as string)]; return chars[index(chars.length, k)]; },
  __contains__: (v, [k]) => typeof k === "string" && (v as string).includes(k),
  upper: (v) => (v as string).toUpperCase(),
  lower: (v) => (v as string).toLowerCase(),
  strip: (v) => (v as string).trim(),
  startswith: (v, [k]) => typeof k === "string" && (v as string).startsWith(k),
  endswith: (v, [k]) => typeof k === "string" && (v as string).endsWith(k),
};

const LIST_METHODS: Record<string, ValueMethod> = {
  __len__: (v) => (v as unknown[]).length,
  __getitem__: (v, [k]) => (v as unknown[])[index((v as unknown[]).length, k)],
  __contains__: (v, [k]) => (v as unknown[]).includes(k),
  count: (v, [k]) => (v as unknown[]).filter((x) => x === k).length,
  index: (v, [k]) => { const i = (v as unknown[]).indexOf(k); if (i < 0) throw pyError("ValueError", "value is not in list"); return i; },
  copy: (v) => [...(v as unknown[])],
};

const DICT_METHODS: Record<string, ValueMethod> = {
  __len__: (v) => Object.keys(v as object).length,
  __getitem__: (v, [k]) => { if (!own(v as object, k)) throw pyError("KeyError", String(k)); return (v as Record<string, unknown>)[k as string]; },
  __contains__: (v, [k]) => own(v as object, k),
  get: (v, [k, fallback]) => (own(v as object, k) ? (v as Record<string, unknown>)[k as string] : fallback ?? null),
  keys: (v) => Object.keys(v as object),
  values: (v) => Object.values(v as object),
  items: (v) => Object.entries(v as object).map(([k, x]) => new PickleTuple([k, x])),
  copy: (v) => ({ ...(v as object) }),
};

const NONE_METHODS: Record<string, ValueMethod> = {};

/**
 * `x` as a Python float on the wire. A whole JavaScript number would pickle as an int, and
 * `float(10)` must print `10.0`, so whole values travel as a call of `builtins.float`.
 */
function pyFloat(x: number): unknown {
  return Number.isFinite(x) && Number.isInteger(x) ? new PickleGlobal("builtins", "float", { args: [x] }) : x;
}

function methodsOf(value: unknown): Record<string, ValueMethod> {
  if (value === null || value === undefined) return NONE_METHODS;
  if (isInt(value)) return INT_METHODS;
  if (typeof value === "number") return FLOAT_METHODS;
  if (typeof value === "string") return STR_METHODS;
  if (Array.isArray(value)) return LIST_METHODS;
  if (typeof value === "object") {
    const proto = Object.getPrototypeOf(value);
    if (proto === Object.prototype || proto === null) return DICT_METHODS;
  }
  return NONE_METHODS;
}

/** The method names a plain value's proxy offers, in the order Python would list them. */
export function valueExposed(value: unknown): string[] {
  return Object.keys(methodsOf(value));
}

/**
 * Calls Python method `name` on plain `value`. Throws RpcError AttributeError for a name
 * the value does not answer.
 */
export function callValueMethod(value: unknown, name: string, args: unknown[]): unknown {
  const methods = methodsOf(value);
  const method = Object.prototype.hasOwnProperty.call(methods, name) ? methods[name] : undefined;
  if (method === undefined) throw pyError("AttributeError", `${pyTypeName(value)} object has no method ${JSON.stringify(name)}`);
  return method(value, args);
}

/** The Python type name of a plain value, for messages. */
export function pyTypeName(value: unknown): string {
  if (value === null || value === undefined) return "'NoneType'";
  if (typeof value === "boolean") return "'bool'";
  if (isInt(value)) return "'int'";
  if (typeof value === "number") return "'float'";
  if (typeof value === "string") return "'str'";
  if (Array.isArray(value)) return "'list'";
  return "'dict'";
}
