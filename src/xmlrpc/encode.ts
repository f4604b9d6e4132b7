/**
 * JS values to XML-RPC `<value>` elements, and the three documents built from them:
 *
 *   JS                                       XML-RPC
 *   ---------------------------------------  -------------------------------------------
 *   number, a 32-bit integer                 <int>
 *   number, a larger safe integer; BigInt    <i8> (a BigInt outside 64 bits is refused)
 *   any other number                         <double> (-0 as -0.0; NaN, ±Infinity as nan, inf, -inf)
 *   boolean / string                         <boolean> / <string>
 *   Date                                     <dateTime.iso8601>, UTC, whole seconds
 *   Uint8Array (Buffer), ArrayBuffer         <base64>
 *   array                                    <array>
 *   plain object                             <struct> (members whose value is undefined are left out)
 *   null, undefined                          <nil/>
 *
 * Anything else (Map, Set, a function, a Symbol, a class instance, a string holding a
 * character XML 1.0 cannot carry such as U+0000) is refused with INVALID_PARAMS naming
 * where it sits, before a byte is sent. So is nesting deeper than `maxDepth`, which also
 * stops cycles.
 *
 * Values marked with a Python type (core/python-types.ts) go as Python's own xmlrpc.client
 * sends them: a tuple as an array, a bytearray as base64, a datetime as above; a date,
 * frozenset, OrderedDict, Counter or deque, which xmlrpc.client refuses to marshal, is
 * refused naming its Python type (a date is not a dateTime, a deque not a list).
 */
import { RpcError } from "../core/errors.js";
import { isMarkedRef } from "../core/ref.js";
import { PYTHON_MARKS, pythonTypeOf } from "../core/python-types.js";
import { toBase64 } from "../codecs/json-tags.js";
import { formatDateTime, formatDouble, isInt32, isInt64 } from "./scalars.js";

/** The declaration every document starts with. */
const PROLOG = '<?xml version="1.0" encoding="UTF-8"?>\n';

// XML 1.0 Char production: no C0 controls but tab, LF and CR; no U+FFFE, U+FFFF; no lone surrogates.
const NOT_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const NEEDS_ESCAPE = /[&<>\r]/;
const ESCAPES: Readonly<Record<string, string>> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;" };

/** Writes values into one string, tracking where it is for error messages. */
class Writer {
  out = "";
  private readonly path: (string | number)[] = [];

  constructor(private readonly maxDepth: number, private readonly root: string) {}

  value(v: unknown, depth: number): void {
    this.out += "<value>";
    this.typed(v, depth);
    this.out += "</value>";
  }

  private typed(v: unknown, depth: number): void {
    switch (typeof v) {
      case "string":
        this.out += `<string>${this.text(v)}</string>`;
        return;
      case "number":
        // -0 is a double: written as <int>0</int> its sign would be lost.
        if (Object.is(v, -0)) this.out += "<double>-0.0</double>";
        else if (isInt32(v)) this.out += `<int>${v}</int>`;
        else if (Number.isSafeInteger(v)) this.out += `<i8>${v}</i8>`;
        else this.out += `<double>${formatDouble(v)}</double>`;
        return;
      case "boolean":
        this.out += v ? "<boolean>1</boolean>" : "<boolean>0</boolean>";
        return;
      case "bigint":
        if (!isInt64(v)) throw this.refuse(`a BigInt outside 64 bits (${v})`);
        this.out += `<i8>${v}</i8>`;
        return;
      case "undefined":
        this.out += "<nil/>";
        return;
      case "object":
        if (v === null) this.out += "<nil/>";
        else this.object(v, depth);
        return;
      default:
        throw this.refuse(`a ${typeof v}`);
    }
  }

  private object(v: object, depth: number): void {
    if (PYTHON_MARKS.made) {
      const refused = refusedPythonType(v);
      if (refused !== undefined) throw this.refuse(`a Python ${refused}, which has no XML-RPC type (Python's xmlrpc.client cannot marshal it either)`);
    }
    if (v instanceof Date) {
      this.out += `<dateTime.iso8601>${this.wrap(() => formatDateTime(v))}</dateTime.iso8601>`;
      return;
    }
    if (v instanceof Uint8Array || v instanceof ArrayBuffer) {
      this.out += `<base64>${toBase64(v instanceof ArrayBuffer ? new Uint8Array(v) : v)}</base64>`;
      return;
    }
    if (depth >= this.maxDepth) throw this.refuse(`a value nested deeper than maxDepth ${this.maxDepth} (or a cycle)`);
    if (Array.isArray(v)) {
      this.out += "<array><data>";
      for (let i = 0; i < v.length; i++) {
        this.path.push(i);
        this.value(v[i], depth + 1);
        this.path.pop();
      }
      this.out += "</data></array>";
      return;
    }
    const proto = Object.getPrototypeOf(v);
    const kind = (proto as { constructor?: { name?: string } } | null)?.constructor?.name || "class instance";
    if (isMarkedRef(v)) throw this.byReferenceOnly(kind);
    if (proto !== Object.prototype && proto !== null) throw this.refuse(`a ${kind}`);
    this.out += "<struct>";
    for (const key of Object.keys(v)) {
      const member = (v as Record<string, unknown>)[key];
      if (member === undefined) continue;
      this.path.push(key);
      this.out += `<member><name>${this.text(key)}</name>`;
      this.value(member, depth + 1);
      this.out += "</member>";
      this.path.pop();
    }
    this.out += "</struct>";
  }

  /** `s` escaped for element content; refused when XML cannot carry one of its characters. */
  text(s: string): string {
    const bad = NOT_XML_CHAR.exec(s);
    if (bad) throw this.refuse(`a string holding U+${bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}, which XML 1.0 cannot carry`);
    return NEEDS_ESCAPE.test(s) ? s.replace(/[&<>\r]/g, (c) => ESCAPES[c]!) : s;
  }

  private wrap(format: () => string): string {
    try {
      return format();
    } catch (err) {
      throw this.refuse((err as Error).message.replace(/^XML-RPC cannot carry /, ""));
    }
  }

  private refuse(what: string): RpcError {
    return new RpcError("INVALID_PARAMS", `XML-RPC cannot carry ${what} (at ${this.where()})`);
  }

  /**
   * An object marked with ref() (every shared object, such as a SharedQueue) is one instance
   * whose state all callers share: a copy of its fields would be no use to anyone. Refused as
   * JSON-RPC refuses it, with the same code, saying what to do instead.
   */
  private byReferenceOnly(kind: string): RpcError {
    return new RpcError("INVALID_REQUEST", `XML-RPC cannot carry a ${kind} (at ${this.where()}): it travels only by reference (over farcall/1); serve it under a name, as in serve({ shared: new ${kind}() }), and call shared.<method>(...) instead of returning it`);
  }

  private where(): string {
    return this.root + this.path.map((p) => (typeof p === "number" ? `[${p}]` : /^[A-Za-z_$][\w$]*$/.test(p) ? `.${p}` : `[${JSON.stringify(p)}]`)).join("");
  }
}

/** The Python type of a marked value XML-RPC has no type for, or undefined. */
function refusedPythonType(v: object): string | undefined {
  const mark = pythonTypeOf(v);
  if (mark === undefined || mark === "tuple" || mark === "bytearray") return undefined;
  if (typeof mark === "object") return mark.kind === "deque" ? "collections.deque" : undefined;
  return mark === "date" ? "datetime.date" : mark === "frozenset" ? "frozenset" : `collections.${mark}`;
}

/** One `<value>` element for `v`; throws INVALID_PARAMS for what XML-RPC cannot carry. `where` names it in errors. */
export function encodeValue(v: unknown, maxDepth: number, where = "value"): string {
  const w = new Writer(maxDepth, where);
  w.value(v, 0);
  return w.out;
}

/** A methodName's text, escaped; INVALID_PARAMS for characters XML cannot carry. */
function methodNameText(method: string): string {
  return new Writer(0, "methodName").text(method);
}

/** A `<methodCall>` document for `method(...params)`. */
export function encodeMethodCall(method: string, params: readonly unknown[], maxDepth: number): string {
  return methodCallDocument(method, params.map((p, i) => encodeValue(p, maxDepth, `params[${i}]`)));
}

/** A `<methodCall>` document around already encoded `<value>` parameters. */
export function methodCallDocument(method: string, paramsXml: readonly string[]): string {
  let out = `${PROLOG}<methodCall><methodName>${methodNameText(method)}</methodName><params>`;
  for (const p of paramsXml) out += `<param>${p}</param>`;
  return `${out}</params></methodCall>\n`;
}

/** A successful `<methodResponse>` around an already encoded `<value>`. */
export function responseDocument(valueXml: string): string {
  return `${PROLOG}<methodResponse><params><param>${valueXml}</param></params></methodResponse>\n`;
}

/** A `<methodResponse>` carrying a fault around an already encoded `<value>` (the fault struct). */
export function faultDocument(faultXml: string): string {
  return `${PROLOG}<methodResponse><fault>${faultXml}</fault></methodResponse>\n`;
}

/** An `<array>` `<value>` of already encoded `<value>` elements (system.multicall's answer). */
export function arrayOfValues(valuesXml: readonly string[]): string {
  return `<value><array><data>${valuesXml.join("")}</data></array></value>`;
}
