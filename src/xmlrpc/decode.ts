/**
 * XML-RPC documents (methodCall, methodResponse) from bytes, read with the `sax` parser in
 * strict mode and turned into values as the parser goes: no tree is built first, so every
 * limit is checked before the memory it protects is spent.
 *
 * Refused, with the code each earns:
 * - bytes that are not well-formed XML, not UTF-8 (or the encoding the XML declaration
 *   names), a DOCTYPE (so no DTD, no entity declarations, no external entities), any other
 *   `<!...>` declaration, and entity references other than XML's five and numeric ones:
 *   PARSE_ERROR. Nothing is ever expanded or fetched.
 * - value nesting (arrays and structs) deeper than `maxDepth`, more than `maxElements`
 *   elements: RESOURCE_EXHAUSTED, as soon as the element that passes the limit opens.
 * - well-formed XML that is not an XML-RPC document (an unknown element, text where none
 *   belongs, a scalar that does not parse, a member without a name): INVALID_REQUEST.
 *
 * Element names are matched after their namespace prefix, as Python does, so Apache's
 * `<ex:nil/>` and `<ex:i8>` read as nil and i8. Attributes are ignored.
 */
import sax from "sax";
import { RpcError } from "../core/errors.js";
import { setOwn } from "../codecs/json-tags.js";
import { parseBase64, parseBoolean, parseDateTime, parseDouble, parseInteger } from "./scalars.js";

/** Limits of one document. */
export interface XmlRpcDecodeLimits {
  /** Deepest nesting of arrays and structs. */
  maxDepth: number;
  /** Most elements in the document. */
  maxElements: number;
}

/** What a document says. */
export type XmlRpcDocument =
  | { kind: "call"; method: string; params: unknown[] }
  | { kind: "response"; value: unknown }
  | { kind: "fault"; fault: unknown };

/**
 * Characters handed to the parser at a time. sax checks its internal buffers (a DOCTYPE's
 * text, a tag name) once per write, so small writes bound them at about this size.
 */
const WRITE_CHUNK = 64 * 1024;

// The element kinds, and which may appear inside which.
const enum K {
  Root, MethodCall, MethodResponse, MethodName, Params, Param, Fault,
  Value, Scalar, Nil, Array, Data, Struct, Member, Name,
}

const SCALARS: ReadonlySet<string> = new Set(["int", "i4", "i8", "i1", "i2", "boolean", "string", "double", "dateTime.iso8601", "base64"]);

/** The kind of element `local` inside an element of kind `parent`, or undefined when it may not appear there. */
function childKind(parent: K, local: string): K | undefined {
  switch (parent) {
    case K.Root: return local === "methodCall" ? K.MethodCall : local === "methodResponse" ? K.MethodResponse : undefined;
    case K.MethodCall: return local === "methodName" ? K.MethodName : local === "params" ? K.Params : undefined;
    case K.MethodResponse: return local === "params" ? K.Params : local === "fault" ? K.Fault : undefined;
    case K.Params: return local === "param" ? K.Param : undefined;
    case K.Param: case K.Fault: case K.Data: return local === "value" ? K.Value : undefined;
    case K.Value: return SCALARS.has(local) ? K.Scalar : local === "nil" ? K.Nil : local === "array" ? K.Array : local === "struct" ? K.Struct : undefined;
    case K.Array: return local === "data" ? K.Data : undefined;
    case K.Struct: return local === "member" ? K.Member : undefined;
    case K.Member: return local === "name" ? K.Name : local === "value" ? K.Value : undefined;
    default: return undefined;
  }
}

/** One open element. */
interface Frame {
  kind: K;
  local: string;
  /** Text gathered inside (value, scalar, methodName, name). */
  text: string;
  /** value: the typed child's result, once it has one. */
  typed: boolean;
  result: unknown;
  /** array: its items; struct: its object; member: its name; params: the values. */
  items: unknown[] | undefined;
  struct: Record<string, unknown> | undefined;
  name: string | undefined;
  hasValue: boolean;
}

function frame(kind: K, local: string): Frame {
  return { kind, local, text: "", typed: false, result: undefined, items: undefined, struct: undefined, name: undefined, hasValue: false };
}

function isBlank(s: string): boolean {
  return /^[ \t\r\n]*$/.test(s);
}

function malformed(message: string): RpcError {
  return new RpcError("PARSE_ERROR", `not a well-formed XML document: ${message}`);
}

function notXmlRpc(message: string): RpcError {
  return new RpcError("INVALID_REQUEST", `not an XML-RPC document: ${message}`);
}

/** Reads one document, building its values as the parser goes. */
class Reader {
  private readonly stack: Frame[] = [frame(K.Root, "")];
  private elements = 0;
  private depth = 0;
  private method: string | undefined;
  private params: unknown[] | undefined;
  private fault: { value: unknown } | undefined;
  private rootKind: K | undefined;

  constructor(private readonly limits: XmlRpcDecodeLimits) {}

  open(qualified: string): void {
    if (++this.elements > this.limits.maxElements) {
      throw new RpcError("RESOURCE_EXHAUSTED", `XML document of more than ${this.limits.maxElements} elements exceeds maxElements ${this.limits.maxElements}`);
    }
    const colon = qualified.indexOf(":");
    const local = colon === -1 ? qualified : qualified.slice(colon + 1);
    const parent = this.top();
    const kind = childKind(parent.kind, local);
    if (kind === undefined) throw notXmlRpc(parent.kind === K.Root ? `the root element is <${qualified}>, not <methodCall> or <methodResponse>` : `<${qualified}> inside <${parent.local}>`);
    if (parent.kind === K.Value) {
      if (parent.typed || !isBlank(parent.text)) throw notXmlRpc(`a <value> holds more than one value`);
      parent.text = "";
    } else if (!isBlank(parent.text)) {
      throw notXmlRpc(`text inside <${parent.local}>`);
    }
    const f = frame(kind, local);
    if (kind === K.Array || kind === K.Struct) {
      if (++this.depth > this.limits.maxDepth) {
        throw new RpcError("RESOURCE_EXHAUSTED", `XML-RPC value nested deeper than maxDepth ${this.limits.maxDepth}`);
      }
      if (kind === K.Array) f.items = [];
      else f.struct = {};
    } else if (kind === K.Data) {
      if (parent.hasValue) throw notXmlRpc("an <array> holds more than one <data>");
      parent.hasValue = true;
      f.items = parent.items;
    } else if (kind === K.Params) {
      f.items = [];
    } else if (kind === K.MethodCall || kind === K.MethodResponse) {
      this.rootKind = kind;
    }
    this.stack.push(f);
  }

  text(t: string): void {
    const f = this.top();
    switch (f.kind) {
      case K.Value: case K.Scalar: case K.MethodName: case K.Name:
        if (f.kind === K.Value && f.typed) {
          if (!isBlank(t)) throw notXmlRpc("text after the typed value inside <value>");
          return;
        }
        f.text += t;
        return;
      default:
        if (!isBlank(t)) throw notXmlRpc(`text inside <${f.local || "the document"}>`);
    }
  }

  close(): void {
    const f = this.stack.pop()!;
    const parent = this.top();
    switch (f.kind) {
      case K.Scalar:
        return this.give(parent, scalar(f.local, f.text));
      case K.Nil:
        if (!isBlank(f.text)) throw notXmlRpc("text inside <nil/>");
        return this.give(parent, null);
      case K.Array:
        this.depth--;
        if (!f.hasValue) throw notXmlRpc("<array> without <data>");
        return this.give(parent, f.items);
      case K.Struct:
        this.depth--;
        return this.give(parent, f.struct);
      case K.Member:
        if (f.name === undefined || !f.hasValue) throw notXmlRpc("a <member> needs a <name> and a <value>");
        setOwn(parent.struct!, f.name, f.result);
        return;
      case K.Name:
        parent.name = f.text;
        return;
      case K.Value:
        return this.deliver(parent, f.typed ? f.result : f.text);
      case K.MethodName:
        this.method = f.text;
        return;
      case K.Params:
        this.params = f.items;
        return;
      case K.Param:
        if (!f.hasValue) throw notXmlRpc("<param> without <value>");
        parent.items!.push(f.result);
        return;
      case K.Fault:
        if (!f.hasValue) throw notXmlRpc("<fault> without <value>");
        this.fault = { value: f.result };
        return;
      default:
        return;
    }
  }

  /** A typed child's value, to its <value>. */
  private give(value: Frame, v: unknown): void {
    value.typed = true;
    value.result = v;
  }

  /** A finished <value>, to what holds it. */
  private deliver(holder: Frame, v: unknown): void {
    if (holder.kind === K.Data) {
      holder.items!.push(v);
      return;
    }
    if (holder.hasValue) throw notXmlRpc(`<${holder.local}> holds more than one <value>`);
    holder.hasValue = true;
    holder.result = v;
  }

  private top(): Frame {
    return this.stack[this.stack.length - 1]!;
  }

  document(): XmlRpcDocument {
    if (this.rootKind === K.MethodCall) {
      if (this.method === undefined) throw notXmlRpc("<methodCall> without <methodName>");
      return { kind: "call", method: this.method, params: this.params ?? [] };
    }
    if (this.rootKind === K.MethodResponse) {
      if (this.fault) return { kind: "fault", fault: this.fault.value };
      if (!this.params || this.params.length !== 1) throw notXmlRpc("a <methodResponse> holds exactly one <param> or a <fault>");
      return { kind: "response", value: this.params[0] };
    }
    throw malformed("no root element");
  }
}

function scalar(type: string, text: string): unknown {
  switch (type) {
    case "string": return text;
    case "boolean": return parseBoolean(text);
    case "double": return parseDouble(text);
    case "dateTime.iso8601": return parseDateTime(text);
    case "base64": return parseBase64(text);
    default: return parseInteger(type, text);
  }
}

const ENCODING = /^\uFEFF?<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']/;

/** The document's text: UTF-8 unless its XML declaration names another encoding node knows. */
function textOf(bytes: Uint8Array): string {
  let label = "utf-8";
  const head = String.fromCharCode(...bytes.subarray(0, 200));
  const declared = ENCODING.exec(head)?.[1];
  if (declared) label = declared.toLowerCase();
  let decoder: InstanceType<typeof TextDecoder>;
  try {
    decoder = new TextDecoder(label, { fatal: true });
  } catch {
    throw new RpcError("PARSE_ERROR", `unsupported XML encoding ${JSON.stringify(declared)}`);
  }
  try {
    return decoder.decode(bytes);
  } catch {
    throw new RpcError("PARSE_ERROR", `the XML document is not valid ${label}`);
  }
}

/** Reads one XML-RPC document; throws RpcError (PARSE_ERROR, INVALID_REQUEST, RESOURCE_EXHAUSTED) as the header says. */
export function decodeXmlRpc(bytes: Uint8Array, limits: XmlRpcDecodeLimits): XmlRpcDocument {
  const text = textOf(bytes);
  const reader = new Reader(limits);
  const parser = sax.parser(true, { strictEntities: true, position: false } as sax.SAXOptions);
  parser.onerror = (err) => {
    throw malformed(err.message.split("\n")[0]!);
  };
  parser.ondoctype = () => {
    throw new RpcError("PARSE_ERROR", "DOCTYPE declarations are refused: XML-RPC needs no DTD, and entities are never expanded");
  };
  parser.onsgmldeclaration = (decl) => {
    throw new RpcError("PARSE_ERROR", `<!${decl.slice(0, 20)}...> declarations are refused`);
  };
  parser.onopentag = (tag) => reader.open(tag.name);
  parser.onclosetag = () => reader.close();
  parser.ontext = (t) => reader.text(t);
  parser.oncdata = (t) => reader.text(t);
  for (let at = 0; at < text.length; at += WRITE_CHUNK) parser.write(text.slice(at, at + WRITE_CHUNK));
  parser.close();
  return reader.document();
}
