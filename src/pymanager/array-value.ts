/**
 * Python's `array.array` as a value on the wire, both ways. A client assigning a slice of a
 * shared Array (`a[1:3] = array.array('i', [8, 9])`) sends one as `array.array(typecode,
 * native_bytes)` (managers.py registers that reducer; 2.7's own `__reduce__` writes the
 * same); a plain Python 3 pickle writes `array._array_reconstructor(array.array, typecode,
 * machine_format, bytes)`. Either is read as a {@link PyArray}, which pickles itself as
 * `array.array(typecode, items)`, so it can also be stored and sent back unchanged.
 */
import { RpcError } from "../core/errors.js";
import { PickleGlobal, PickleGlobalRef, PickleNativeStr } from "./pickle/pickle.js";
import { MAX_SHARED_ITEMS } from "./shared/waiters.js";
import { floatRepr, pyRepr, strRepr, unicodeRepr2 } from "./repr.js";

/** Typecodes whose items are one-character strings: `u` (wchar_t), and `w` (UCS4, Python 3.13). */
export function isTextTypecode(typecode: string): boolean {
  return typecode === "u" || typecode === "w";
}

/**
 * Text that Python reads as `str` on 3 and as `unicode` on 2.7 (where plain ASCII text
 * would be answered as a native `str`, which a `u` array refuses): decoded on the Python
 * side from an ASCII escape, which also carries lone surrogates and astral characters.
 */
export function unicodeText(text: string): PickleGlobal {
  let escaped = "";
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    escaped += c === 0x5c ? "\\\\" : c >= 0x20 && c < 0x7f ? ch : `\\U${c.toString(16).padStart(8, "0")}`;
  }
  return new PickleGlobal("_codecs", "decode", { args: [escaped, "unicode_escape"] });
}

/** True for a string of exactly one character (code point), what a `u` or `w` array holds. */
export function isCharacter(value: unknown): value is string {
  return typeof value === "string" && value.length > 0 && value.length <= 2 && [...value].length === 1;
}

/** A `c` array's items (each a one-character string for a byte) as the bytes they stand for. */
export function byteCharsAsBytes(items: readonly string[]): Uint8Array {
  return Uint8Array.from(items, (c) => c.charCodeAt(0));
}

/** Bytes as a `c` array's items. */
export function bytesAsByteChars(bytes: Uint8Array): string[] {
  return Array.from(bytes, (b) => String.fromCharCode(b));
}

/** True for a one-character string standing for one byte, what a `c` array holds. */
export function isByteChar(value: unknown): value is string {
  return typeof value === "string" && value.length === 1 && value.charCodeAt(0) < 0x100;
}

/** An `array.array`: its typecode and items (ints, floats, or one-character strings). */
export class PyArray extends PickleGlobal {
  constructor(readonly typecode: string, readonly items: readonly (number | bigint | string)[]) {
    const text = isTextTypecode(typecode);
    if (text && !items.every(isCharacter)) throw new RpcError("TypeError", "array item must be unicode character");
    if (typecode === "c" && !items.every(isByteChar)) throw new RpcError("TypeError", "array item must be char");
    // 2.7's `c` array is built from a native str, which bytes are at protocol 2.
    const init = text ? unicodeText(items.join("")) : typecode === "c" ? byteCharsAsBytes(items as string[]) : items;
    // Python 2.7 takes a typecode only as its native str.
    super("array", "array", { args: [new PickleNativeStr(typecode), init] });
  }
  /** Its repr inside a value the server prints (`str(d)` of a dict holding one). */
  reprPython(py2: boolean): string {
    return arrayRepr(this.typecode, this.items, py2);
  }
}

/** `repr(array.array(typecode, items))` as the client's Python prints it. */
export function arrayRepr(typecode: string, items: readonly (number | bigint | string)[], py2: boolean): string {
  if (items.length === 0) return `array(${pyRepr(typecode)})`;
  // 2.7 writes a `c` array as its str, whose repr is Python 3's bytes repr without the b.
  if (typecode === "c") return `array('c', ${pyRepr(byteCharsAsBytes(items as string[])).slice(1)})`;
  if (isTextTypecode(typecode)) return `array(${pyRepr(typecode)}, ${(py2 ? unicodeRepr2 : strRepr)(items.join(""))})`;
  const float = typecode === "f" || typecode === "d";
  return `array(${pyRepr(typecode)}, [${items.map((v) => (float ? floatRepr(Number(v)) : pyRepr(v))).join(", ")}])`;
}


function refuse(message: string): RpcError {
  return new RpcError("PARSE_ERROR", `pickle refused: ${message}`);
}

/** Reads one item at a byte offset: integers as numbers (bigint past 2^53), floats, code points. */
type ItemReader = (view: DataView, at: number, little: boolean) => number | bigint;

const int64 = (big: bigint): number | bigint => (Number.isSafeInteger(Number(big)) ? Number(big) : big);

/** CPython's `machine_format_code` (arraymodule.c), by value: item size and reader. */
const MACHINE_FORMATS: readonly (readonly [number, ItemReader])[] = [
  [1, (v, at) => v.getUint8(at)], [1, (v, at) => v.getInt8(at)],
  [2, (v, at, le) => v.getUint16(at, le)], [2, (v, at, le) => v.getUint16(at, le)],
  [2, (v, at, le) => v.getInt16(at, le)], [2, (v, at, le) => v.getInt16(at, le)],
  [4, (v, at, le) => v.getUint32(at, le)], [4, (v, at, le) => v.getUint32(at, le)],
  [4, (v, at, le) => v.getInt32(at, le)], [4, (v, at, le) => v.getInt32(at, le)],
  [8, (v, at, le) => int64(v.getBigUint64(at, le))], [8, (v, at, le) => int64(v.getBigUint64(at, le))],
  [8, (v, at, le) => int64(v.getBigInt64(at, le))], [8, (v, at, le) => int64(v.getBigInt64(at, le))],
  [4, (v, at, le) => v.getFloat32(at, le)], [4, (v, at, le) => v.getFloat32(at, le)],
  [8, (v, at, le) => v.getFloat64(at, le)], [8, (v, at, le) => v.getFloat64(at, le)],
  [2, (v, at, le) => v.getUint16(at, le)], [2, (v, at, le) => v.getUint16(at, le)],
  [4, (v, at, le) => v.getUint32(at, le)], [4, (v, at, le) => v.getUint32(at, le)],
];
const UTF16_LE = 18;
const UTF32_LE = 20;

/**
 * The machine format of each typecode's native bytes on a 64-bit little-endian Linux or macOS
 * (UCS4 `u`), what a client's `array.array(typecode, native_bytes)` carries. Python's own
 * server reads them in its own machine's format too (a Windows client's 4-byte `l` and 2-byte
 * `u` are misread by both).
 */
const NATIVE_FORMATS: Readonly<Record<string, number>> = { b: 1, B: 0, h: 4, H: 2, i: 8, I: 6, l: 12, L: 10, q: 12, Q: 10, f: 14, d: 16, u: UTF32_LE, w: UTF32_LE };

function itemsOf(code: number, bytes: Uint8Array): (number | bigint | string)[] {
  const format = MACHINE_FORMATS[code];
  if (format === undefined) throw refuse(`array machine format ${code} is not one CPython writes`);
  const [size, read] = format;
  if (bytes.length % size !== 0) throw refuse(`array of ${bytes.length} bytes is not a whole number of ${size}-byte items`);
  if (bytes.length / size > MAX_SHARED_ITEMS) throw refuse(`array of ${bytes.length / size} items exceeds the ${MAX_SHARED_ITEMS} a shared object holds`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const little = code < 2 || code % 2 === 0;
  const raw = Array.from({ length: bytes.length / size }, (_, k) => read(view, k * size, little));
  if (code === UTF16_LE || code === UTF16_LE + 1) return [...String.fromCharCode(...(raw as number[]))];
  if (code === UTF32_LE || code === UTF32_LE + 1) {
    return (raw as number[]).map((c) => {
      if (c > 0x10ffff) throw refuse(`array item U+${c.toString(16)} is not a character`);
      return String.fromCodePoint(c);
    });
  }
  return raw;
}

/**
 * Python 2.7's `array.array(typecode, s)` given a native `str`: its bytes read as native
 * items, as 2.7's own server reads them. @throws RpcError ValueError, as 2.7 does, for bytes
 * that are not whole items.
 */
export function itemsOfNativeStr(typecode: string, bytes: Uint8Array): (number | bigint | string)[] {
  if (typecode === "c") return bytesAsByteChars(bytes);
  const code = Object.prototype.hasOwnProperty.call(NATIVE_FORMATS, typecode) ? NATIVE_FORMATS[typecode]! : undefined;
  if (code === undefined) throw new RpcError("ValueError", `bad typecode ${JSON.stringify(typecode)}`);
  if (bytes.length % MACHINE_FORMATS[code]![0] !== 0) throw new RpcError("ValueError", "string length not a multiple of item size");
  try {
    return itemsOf(code, bytes);
  } catch (error) {
    // 2.7 would store the bytes as they are; a code point past U+10FFFF is refused instead.
    throw new RpcError("ValueError", (error as Error).message.replace(/^pickle refused: /, ""));
  }
}

/** `array._array_reconstructor(array.array, typecode, machine_format, bytes)`, Python 3's form. */
function reconstruct(args: unknown[]): PyArray {
  const [cls, typecode, code, bytes] = args;
  if (!(cls instanceof PickleGlobalRef) || cls.name !== "array.array" || typeof typecode !== "string" || typeof code !== "number" || !(bytes instanceof Uint8Array)) {
    throw refuse("array._array_reconstructor is allowed only as (array.array, typecode, format, bytes)");
  }
  return new PyArray(typecode, itemsOf(code, bytes));
}

/**
 * `array.array(typecode[, items])`: a list (Python 3 below protocol 3, and this server's own
 * form) or native bytes, as a manager client sends every array (managers.py registers
 * `reduce_array`, `(typecode, a.tobytes())`; Python 2.7's own `__reduce__` is the same).
 */
function construct(args: unknown[]): PyArray {
  const [typecode, init = []] = args;
  if (typeof typecode !== "string" || args.length > 2) throw refuse("array.array is allowed only as (typecode, items)");
  if (Array.isArray(init)) {
    if (init.length > MAX_SHARED_ITEMS) throw refuse(`array of ${init.length} items exceeds the ${MAX_SHARED_ITEMS} a shared object holds`);
    return new PyArray(typecode, init as (number | bigint | string)[]);
  }
  const code = Object.prototype.hasOwnProperty.call(NATIVE_FORMATS, typecode) ? NATIVE_FORMATS[typecode] : undefined;
  if (code === undefined && typecode !== "c") throw refuse(`array.array typecode ${JSON.stringify(typecode)} is not served`);
  // A 2.7 str arrives as text when its bytes are UTF-8; encoding it again gives those bytes back.
  const bytes = typeof init === "string" ? new TextEncoder().encode(init) : init;
  if (!(bytes instanceof Uint8Array)) throw refuse("array.array is allowed only with a list or bytes");
  if (bytes.length > MAX_SHARED_ITEMS) throw refuse(`array of ${bytes.length} items exceeds the ${MAX_SHARED_ITEMS} a shared object holds`);
  return new PyArray(typecode, code === undefined ? bytesAsByteChars(bytes) : itemsOf(code, bytes));
}

/** The `array` module's globals a request may name. */
export const ARRAY_GLOBALS = { array: construct, _array_reconstructor: reconstruct } as const;
