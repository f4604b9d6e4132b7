/**
 * The method table: built once from the exposed object, then every call is one Map lookup.
 * Nothing is looked up through prototypes at call time, so `__proto__`, `constructor`,
 * `toString` and friends can never be reached by a peer.
 */
import type { StandardSchemaV1 } from "@standard-schema/spec";
import { callCheckFor, type CallCheck } from "./call-check.js";
import { dataSchemaOf, descriptionOf, type ErrorDeclaration } from "./error-contract.js";
import { RpcError } from "./errors.js";
import { jsonSchemaOf, type JsonSchema } from "./json-schema.js";
import { methodDoc } from "./method-doc.js";

/** One exposed method. */
export interface MethodEntry {
  /** The dotted path a caller names, e.g. `"counter.inc"`. */
  readonly name: string;
  readonly fn: (...args: unknown[]) => unknown;
  /** The object the method is called on (`this`). */
  readonly self: unknown;
  /** Declared parameters (`fn.length`). */
  readonly arity: number;
  /** What the pipeline checks before the handler runs (count, schemas); none for references and unchecked methods. */
  readonly check?: CallCheck | undefined;
}

/** What {@link listMethods} answers for each method. */
export interface MethodInfo {
  name: string;
  arity: number;
  /** From {@link describeMethod}, when the method was described. */
  description?: string;
  /** Parameter names, from {@link describeMethod}. */
  params?: string[];
  /** The JSON Schema of each parameter, from describeMethod's `input` where its library converts it ({} where it cannot). */
  paramSchemas?: JsonSchema[];
  /** The JSON Schema of the result, from describeMethod's `output`. */
  resultSchema?: JsonSchema;
  /** The application error codes the method declares (describeMethod's `errors`). */
  errors?: ErrorInfo[];
}

/** One declared error code: its description and the JSON Schema of its data, where given. */
export interface ErrorInfo {
  code: string;
  description?: string;
  dataSchema?: JsonSchema;
}

/** Deepest namespace nesting followed when building the table. */
const MAX_NAMESPACE_DEPTH = 32;

/**
 * Names never exposed: private by convention (`_`, `#`) or reserved for farcall's own calls
 * (`$`), and the members every object inherits.
 */
function isHidden(name: string): boolean {
  const c = name.charCodeAt(0);
  return c === 0x5f /* _ */ || c === 0x23 /* # */ || c === 0x24 /* $ */ || name === "constructor";
}

const OBJECT_PROTO_NAMES: ReadonlySet<string> = new Set(Object.getOwnPropertyNames(Object.prototype));

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** An immutable table of the methods of an exposed object. */
export class Dispatcher {
  private readonly table = new Map<string, MethodEntry>();

  constructor(exposed: object) {
    if (typeof exposed !== "object" || exposed === null) {
      throw new TypeError("the exposed API must be an object");
    }
    this.add(exposed, "", 0, new Set());
  }

  /** The method a caller named, or undefined. */
  lookup(name: string): MethodEntry | undefined {
    return this.table.get(name);
  }

  /** Like lookup, but throws METHOD_NOT_FOUND. */
  resolve(name: unknown): MethodEntry {
    const entry = typeof name === "string" ? this.table.get(name) : undefined;
    if (!entry) throw new RpcError("METHOD_NOT_FOUND", `no method ${JSON.stringify(String(name))}`);
    return entry;
  }

  /** Every method with its arity, sorted by name. */
  list(): MethodInfo[] {
    return [...this.table.values()].map(infoOf).sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /** What {@link list} says of one method, or undefined when there is no such method. */
  info(name: string): MethodInfo | undefined {
    const entry = this.table.get(name);
    return entry && infoOf(entry);
  }

  get size(): number {
    return this.table.size;
  }

  private add(target: object, prefix: string, depth: number, seen: Set<object>): void {
    if (seen.has(target) || depth > MAX_NAMESPACE_DEPTH) return;
    seen.add(target);
    for (const [name, value] of exposedMembers(target)) {
      const path = prefix + name;
      if (typeof value === "function") {
        this.table.set(path, { name: path, fn: value as (...args: unknown[]) => unknown, self: target, arity: value.length, check: callCheckFor(path, value) });
      } else if (typeof value === "object" && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value)) {
        this.add(value, path + ".", depth + 1, seen);
      }
    }
    seen.delete(target);
  }
}

function infoOf(e: MethodEntry): MethodInfo {
  const info: MethodInfo = { name: e.name, arity: e.arity };
  const doc = methodDoc(e.fn);
  if (doc?.description !== undefined) info.description = doc.description;
  if (doc?.params !== undefined) info.params = doc.params.map((p) => p.name);
  if (doc?.input !== undefined) info.paramSchemas = (Array.isArray(doc.input) ? doc.input : [doc.input]).map((s: StandardSchemaV1) => jsonSchemaOf(s, "input") ?? {});
  const result = doc?.output !== undefined ? jsonSchemaOf(doc.output, "output") : undefined;
  if (result !== undefined) info.resultSchema = result;
  if (doc?.errors !== undefined) info.errors = Object.entries(doc.errors).map(([code, decl]) => errorInfoOf(code, decl));
  return info;
}

function errorInfoOf(code: string, decl: ErrorDeclaration): ErrorInfo {
  const info: ErrorInfo = { code };
  const description = descriptionOf(decl);
  if (description !== undefined) info.description = description;
  const schema = dataSchemaOf(decl);
  const dataSchema = schema !== undefined ? (jsonSchemaOf(schema, "output") ?? {}) : undefined;
  if (dataSchema !== undefined) info.dataSchema = dataSchema;
  return info;
}

/**
 * The members of `target` that are exposed: for a plain object its own data properties
 * (functions become methods, objects namespaces); for a class instance its own function
 * properties and the methods of its prototype chain up to Object.prototype. A class
 * instance's other own fields are its state and stay private. Accessors are never called.
 */
function exposedMembers(target: object): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const plain = isPlainObject(target);
  for (const name of Object.getOwnPropertyNames(target)) {
    if (isHidden(name)) continue;
    const desc = Object.getOwnPropertyDescriptor(target, name);
    if (!desc || !("value" in desc)) continue;
    if (plain || typeof desc.value === "function") out.set(name, desc.value);
  }
  if (plain) return out;
  for (let proto = Object.getPrototypeOf(target); proto && proto !== Object.prototype && proto !== Function.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (isHidden(name) || out.has(name) || OBJECT_PROTO_NAMES.has(name)) continue;
      const desc = Object.getOwnPropertyDescriptor(proto, name);
      if (desc && typeof desc.value === "function") out.set(name, desc.value);
    }
  }
  return out;
}
