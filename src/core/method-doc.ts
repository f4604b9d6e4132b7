/**
 * What a user says about a method beyond its code: a description, parameter names and
 * types, whether running it twice is safe. Kept in a WeakMap beside the function, so the
 * function itself is untouched and a class method is annotated once on its prototype.
 * Protocols read it: XML-RPC's system.methodHelp and system.methodSignature, OpenRPC, and
 * transports that may retry a call on another instance.
 */

/** One parameter of a described method. */
export interface ParamDoc {
  name: string;
  /** A type name; XML-RPC's names (int, i8, boolean, string, double, dateTime.iso8601, base64, struct, array, nil) where the method is served over XML-RPC. */
  type?: string;
}

/** What {@link describeMethod} attaches to a function. */
export interface MethodDoc {
  /** What the method does, in plain words. */
  description?: string;
  /** The parameters in order. */
  params?: readonly ParamDoc[];
  /** The type name of the result. */
  returns?: string;
  /**
   * Running the method twice has the effect of running it once, so a client may retry it
   * on another instance after a failure that leaves its outcome unknown.
   */
  idempotent?: boolean;
}

const docs = new WeakMap<Function, Readonly<MethodDoc>>();

/**
 * Attaches a description to `fn` and returns `fn` unchanged, so it can wrap a definition in
 * place.
 * @example const api = { add: describeMethod((a: number, b: number) => a + b, { description: "Adds two numbers", params: [{ name: "a", type: "int" }, { name: "b", type: "int" }], returns: "int" }) };
 */
export function describeMethod<F extends Function>(fn: F, doc: MethodDoc): F {
  if (typeof fn !== "function") throw new TypeError("describeMethod: the first argument must be a function");
  docs.set(fn, Object.freeze({ ...doc, ...(doc.params ? { params: Object.freeze([...doc.params]) } : {}) }));
  return fn;
}

/** The description attached to `fn`, if any. */
export function methodDoc(fn: Function): Readonly<MethodDoc> | undefined {
  return docs.get(fn);
}
