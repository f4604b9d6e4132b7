/**
 * An instance of a program's own Python class, stored by a Python client through a manager
 * listener that names the class in its `pymanager: { classes }` option. The server runs no
 * Python code: it keeps what the pickle said (the class's qualified name, the arguments it
 * was built with, the state BUILD gave it, and which of the two ways built it) and writes
 * exactly that back, so the next Python reader rebuilds an equal instance of its own class.
 */
import { RpcError } from "../../core/errors.js";
import { registerType } from "../../core/type-registry.js";
import { isQualifiedClassName } from "../one-port-option.js";

/** How the pickle built the instance: `cls.__new__(cls, *args)` (NEWOBJ) or `cls(*args)` (REDUCE). */
export type PyObjectBuild = "newobj" | "reduce";

/**
 * An instance of a program's own class, as its pickle describes it.
 * @example new PyObject("shapes.Point", [], { x: 1, y: 2 })   // Python reads shapes.Point with x=1, y=2
 */
export class PyObject {
  /** The state BUILD applied (`__dict__`, or what `__getstate__` returned); undefined when none. */
  state: unknown;

  constructor(
    /** `module.Name`, as the class's `__module__` and `__qualname__` spell it. */
    readonly className: string,
    /** The arguments of `__new__` (NEWOBJ, from `__getnewargs__`) or of the class call (REDUCE). */
    readonly args: readonly unknown[] = [],
    state?: unknown,
    readonly build: PyObjectBuild = "newobj",
  ) {
    if (!isQualifiedClassName(className)) throw new RpcError("INVALID_PARAMS", `not a qualified Python class name: ${JSON.stringify(String(className).slice(0, 60))}`);
    if (!Array.isArray(args)) throw new RpcError("INVALID_PARAMS", `${className}: args must be an array`);
    if (build !== "newobj" && build !== "reduce") throw new RpcError("INVALID_PARAMS", `${className}: build must be "newobj" or "reduce"`);
    this.state = state;
  }

  /** The module part of the name. */
  get module(): string {
    return this.className.slice(0, this.className.lastIndexOf("."));
  }

  /** The class part of the name. */
  get name(): string {
    return this.className.slice(this.className.lastIndexOf(".") + 1);
  }

  /**
   * Python's default repr, `<shapes.Point object at 0x...>` (the address invented): a class's
   * own `__repr__` (a dataclass's, a namedtuple's) is Python code the server cannot run.
   */
  reprPython(): string {
    return `<${this.className} object at 0x7f10${(0x100000 + serialOf(this) * 0x30).toString(16)}>`;
  }
}

const serials = new WeakMap<PyObject, number>();
let nextSerial = 0;
function serialOf(o: PyObject): number {
  let serial = serials.get(o);
  if (serial === undefined) serials.set(o, (serial = nextSerial++));
  return serial;
}

/** Over farcall/1 and extended JSON a PyObject travels as itself, so a TypeScript round trip keeps its class. */
type PyObjectData = [className: string, args: unknown[], state: unknown, build: PyObjectBuild, stateless: boolean];
registerType<PyObject, PyObjectData>(PyObject, {
  name: "python.object",
  encode: (o) => [o.className, [...o.args], o.state ?? null, o.build, o.state === undefined],
  decode: ([className, args, state, build, stateless]) => new PyObject(className, args, stateless ? undefined : state, build),
});
