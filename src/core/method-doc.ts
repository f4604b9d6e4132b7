/**
 * What a user says about a method beyond its code: a description, parameter names and
 * types, whether running it twice is safe. Kept in a WeakMap beside the function (one per
 * process, see DOCS), so the function itself is untouched and a class method is annotated
 * once on its prototype.
 * Protocols read it: XML-RPC's system.methodHelp and system.methodSignature, OpenRPC, and
 * transports that may retry a call on another instance; the call pipeline checks calls
 * against it (core/call-check.ts).
 */
import type { StandardSchemaV1 } from "@standard-schema/spec";
import type { DeclaredErrors, DeclaresErrors, ErrorDeclarations } from "./error-contract.js";

/** One parameter of a described method. */
export interface ParamDoc {
  name: string;
  /** A type name; XML-RPC's names (int, i8, boolean, string, double, dateTime.iso8601, base64, struct, array, nil) where the method is served over XML-RPC. */
  type?: string;
  /** The caller may leave it out (only trailing parameters can be). @default false */
  optional?: boolean;
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
  /**
   * Standard Schemas (zod, valibot, arktype...) the arguments must pass before the handler
   * runs: an array checks positional arguments, one per parameter; a single schema checks a
   * method taking one argument, such as JSON-RPC's named params (one object). The handler
   * gets what the schemas output. A call that fails answers INVALID_PARAMS with the issues.
   */
  input?: readonly StandardSchemaV1[] | StandardSchemaV1;
  /** A Standard Schema the result must pass; a result that fails is INTERNAL (a server bug). */
  output?: StandardSchemaV1;
  /**
   * The method takes any number of arguments: its declared parameter count is not checked.
   * @default false
   */
  variadic?: boolean;
  /**
   * The application error codes the method may throw: for each, a Standard Schema of its
   * `data`, or `true`/a description when it carries none. Callers see them in the type
   * (isRpcError(e, remote.method, "CODE") narrows `data`), OpenRPC and `farcall list` show
   * them. A declared code thrown with data its schema refuses answers INTERNAL (a server
   * bug, as for `output`); a code not declared still reaches the caller and is logged.
   */
  errors?: ErrorDeclarations;
}

/**
 * One table for every copy of farcall loaded in the process (a program that imports the
 * package while the server runs from another copy, say): kept under a Symbol.for key, so a
 * description attached by one copy is seen by all.
 */
const DOCS = Symbol.for("farcall.methodDocs");
const holder = globalThis as { [DOCS]?: WeakMap<Function, Readonly<MethodDoc>> };
const docs: WeakMap<Function, Readonly<MethodDoc>> = (holder[DOCS] ??= new WeakMap());

/**
 * Attaches a description to `fn` and returns `fn` unchanged, so it can wrap a definition in
 * place.
 * @example const api = { add: describeMethod((a: number, b: number) => a + b, { description: "Adds two numbers", params: [{ name: "a", type: "int" }, { name: "b", type: "int" }], returns: "int" }) };
 */
export function describeMethod<F extends Function, const E extends ErrorDeclarations = {}>(fn: F, doc: MethodDoc & { errors?: E }): {} extends E ? F : F & DeclaresErrors<DeclaredErrors<E>> {
  if (typeof fn !== "function") throw new TypeError("describeMethod: the first argument must be a function");
  checkSchemas(doc);
  docs.set(fn, Object.freeze({ ...doc, ...(doc.params ? { params: Object.freeze([...doc.params]) } : {}), ...(Array.isArray(doc.input) ? { input: Object.freeze([...doc.input]) } : {}), ...(doc.errors ? { errors: Object.freeze({ ...doc.errors }) } : {}) }));
  return fn as {} extends E ? F : F & DeclaresErrors<DeclaredErrors<E>>;
}

/** The description attached to `fn`, if any. */
export function methodDoc(fn: Function): Readonly<MethodDoc> | undefined {
  return docs.get(fn);
}

/** True for a Standard Schema (https://standardschema.dev): a `~standard` with `validate`. */
export function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  const props = (value as { "~standard"?: { validate?: unknown } } | null | undefined)?.["~standard"];
  return typeof props === "object" && props !== null && typeof props.validate === "function";
}

/** Refuses, at describe time, schemas that are not Standard Schemas. */
function checkSchemas(doc: MethodDoc): void {
  const inputs = Array.isArray(doc.input) ? doc.input : doc.input === undefined ? [] : [doc.input];
  inputs.forEach((schema, i) => {
    if (!isStandardSchema(schema)) throw new TypeError(`describeMethod: input${Array.isArray(doc.input) ? `[${i}]` : ""} is not a Standard Schema (an object with ~standard.validate)`);
  });
  if (doc.output !== undefined && !isStandardSchema(doc.output)) throw new TypeError("describeMethod: output is not a Standard Schema (an object with ~standard.validate)");
  if (doc.variadic !== undefined && typeof doc.variadic !== "boolean") throw new TypeError("describeMethod: variadic must be a boolean");
  if (doc.errors !== undefined) checkErrors(doc.errors);
}

function checkErrors(errors: unknown): void {
  if (typeof errors !== "object" || errors === null || Array.isArray(errors)) throw new TypeError("describeMethod: errors must be an object of CODE: schema | true | description");
  for (const [code, decl] of Object.entries(errors)) {
    const ok =
      decl === true ||
      typeof decl === "string" ||
      isStandardSchema(decl) ||
      (typeof decl === "object" && decl !== null && (decl.description === undefined || typeof decl.description === "string") && (decl.data === undefined || isStandardSchema(decl.data)));
    if (!ok) throw new TypeError(`describeMethod: errors.${code} must be a Standard Schema, true, a description, or { description, data }`);
  }
}
