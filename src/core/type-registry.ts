/**
 * registerType(): the safe replacement for pickling custom objects. Only classes registered
 * on the receiving side are rebuilt, through the decode function given there, so a peer can
 * never make us construct anything we did not name. Every codec (MessagePack, extended JSON)
 * consults this one registry.
 */

/** How instances of one class travel. */
export interface TypeCodec<T, W = unknown> {
  /** The name both ends register the class under; 1 to 128 characters. */
  name: string;
  /** The instance as plain data (anything the codec carries, other registered types included). */
  encode(value: T): W;
  /** The instance rebuilt from that data. Runs on peer data: validate it. */
  decode(data: W): T;
}

interface Entry {
  readonly name: string;
  readonly encode: (value: never) => unknown;
  readonly decode: (data: never) => unknown;
}

const byName = new Map<string, Entry>();
const byClass = new Map<Function, Entry>();

/** Longest type name accepted from a peer or at registration. */
export const MAX_TYPE_NAME = 128;

/**
 * Registers `Class` so its instances cross the wire as themselves. Register it under the same
 * name on both ends. Instances of subclasses are not covered unless registered themselves.
 * @example registerType(Point, { name: "geo.Point", encode: (p) => [p.x, p.y], decode: ([x, y]) => new Point(x, y) })
 */
export function registerType<T extends object, W>(Class: abstract new (...args: never[]) => T, codec: TypeCodec<T, W>): void {
  if (typeof Class !== "function") throw new TypeError("registerType: the first argument must be a class");
  const { name, encode, decode } = codec;
  if (typeof name !== "string" || name.length === 0 || name.length > MAX_TYPE_NAME) {
    throw new TypeError(`registerType: name must be a string of 1 to ${MAX_TYPE_NAME} characters`);
  }
  if (typeof encode !== "function" || typeof decode !== "function") throw new TypeError("registerType: encode and decode must be functions");
  const existing = byName.get(name);
  if (existing && byClass.get(Class) !== existing) throw new TypeError(`registerType: the name ${JSON.stringify(name)} is already registered for another class`);
  if (byClass.has(Class) && !existing) throw new TypeError(`registerType: ${Class.name || "this class"} is already registered under another name`);
  const entry: Entry = { name, encode: encode as (value: never) => unknown, decode: decode as (data: never) => unknown };
  byName.set(name, entry);
  byClass.set(Class, entry);
}

/** The registration of `value`'s exact class, or undefined. */
export function registeredTypeOf(value: object): Entry | undefined {
  return byClass.size === 0 ? undefined : byClass.get((value as { constructor?: Function }).constructor as Function);
}

/**
 * Rebuilds a registered value received from a peer. A name this side never registered comes
 * back as the inert description `{ $type, data }`, so one unknown value never costs the call
 * or the connection.
 */
export function decodeRegistered(name: unknown, data: unknown): unknown {
  const entry = typeof name === "string" ? byName.get(name) : undefined;
  // typeof, not String(): a name that is itself a reference would turn toString into a call.
  if (!entry) return Object.freeze({ $type: typeof name === "string" ? name.slice(0, MAX_TYPE_NAME) : `(${typeof name})`, data });
  return (entry.decode as (d: unknown) => unknown)(data);
}
