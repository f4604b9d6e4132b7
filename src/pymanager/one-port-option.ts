/**
 * The `pymanager` option of a listen entry and its check, apart from the manager's server
 * so that resolving serve()'s options does not load the manager's server and pickle code.
 */

/** The `pymanager` option of a listen entry: a one-port tcp:// or unix:// entry's, or a pymanager:// entry's. */
export interface PyManagerOnPort {
  /**
   * On a one-port listener (required there, refused on pymanager://): how long a connection
   * must stay silent to be taken for a Python manager client (1 to 10000 ms).
   */
  silenceMs?: number;
  /**
   * A program's own Python classes whose instances clients may store, as `"module.Name"`
   * (`"__main__.Point"`, `"shapes.Circle"`). The server keeps what the pickle says and writes
   * it back; each reader's Python rebuilds the instance by calling that class with the
   * arguments the storing client chose, so list only classes of your own. @default []
   */
  classes?: readonly string[];
}

/** connect()'s `pymanager` option, for pymanager:// URLs. */
export interface PyManagerConnectOption {
  /** A program's own Python classes the server's replies may hold, as `"module.Name"`; each arrives as a PyObject. @default [] */
  classes?: readonly string[];
}

/** The checked `pymanager` option of connect(). */
export function checkPyManagerConnect(value: unknown): PyManagerConnectOption {
  if (typeof value !== "object" || value === null || Array.isArray(value) || Object.keys(value).some((k) => k !== "classes")) {
    throw new TypeError(`pymanager must be { classes? }, got ${JSON.stringify(value)}`);
  }
  const { classes } = value as { classes?: unknown };
  return classes === undefined ? {} : { classes: checkClasses(classes, "pymanager.classes") };
}

/** Most classes one listener may name. */
export const MAX_PYTHON_CLASSES = 1000;

/**
 * Modules whose callables are not a program's own classes: a reader would call them with
 * arguments another client chose (`os.system`, `builtins.eval`).
 */
const NOT_CLASS_MODULES = /^(?:builtins|__builtin__|exceptions|os|posix|nt|subprocess|sys|importlib|pickle|_pickle|cPickle|copyreg|copy_reg|multiprocessing|shutil|socket|ctypes|codecs|_codecs|io|runpy|code|types|functools|operator|pty|signal|webbrowser|marshal)(?:\.|$)/;

/** The checked `pymanager` option of listen entry `name`. */
export function checkPyManagerOnPort(value: unknown, name: string): PyManagerOnPort {
  const shape = `${name}: pymanager must be { silenceMs?, classes? }`;
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new TypeError(`${shape}, got ${JSON.stringify(value)}`);
  const { silenceMs, classes, ...rest } = value as { silenceMs?: unknown; classes?: unknown };
  const stray = Object.keys(rest)[0];
  if (stray !== undefined) throw new TypeError(`${shape}, not ${JSON.stringify(stray)}`);
  const checked: PyManagerOnPort = {};
  if (silenceMs !== undefined) {
    if (typeof silenceMs !== "number" || !Number.isSafeInteger(silenceMs) || silenceMs < 1 || silenceMs > 10_000) {
      throw new RangeError(`${name}: pymanager.silenceMs must be an integer from 1 to 10000, got ${JSON.stringify(silenceMs)}`);
    }
    checked.silenceMs = silenceMs;
  }
  if (classes !== undefined) checked.classes = checkClasses(classes, `${name}: pymanager.classes`);
  return checked;
}

const QUALIFIED = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+$/;

/** True for `module.Name` (dotted modules allowed; the class is the part after the last dot), at most 200 characters. */
export function isQualifiedClassName(name: unknown): name is string {
  return typeof name === "string" && name.length <= 200 && QUALIFIED.test(name);
}

function checkClasses(classes: unknown, label: string): string[] {
  if (!Array.isArray(classes) || classes.length > MAX_PYTHON_CLASSES) throw new TypeError(`${label} must be an array of at most ${MAX_PYTHON_CLASSES} "module.Name" strings`);
  for (const c of classes) {
    if (!isQualifiedClassName(c)) {
      throw new TypeError(`${label}: ${JSON.stringify(c)} is not a "module.Name" class name`);
    }
    if (NOT_CLASS_MODULES.test(c)) throw new TypeError(`${label}: ${c} is not a program's own class (a reader would call it with arguments another client chose)`);
  }
  return [...classes] as string[];
}
