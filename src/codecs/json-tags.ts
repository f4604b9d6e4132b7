/**
 * The tagged JSON form of farcall's extended values (the table is in json-ext.ts): tag
 * names and the helpers that encoding and decoding share.
 */

/** A BigInt tag of more characters than this is refused: parsing huge ones is quadratic. */
export const MAX_BIGINT_CHARS = 1024;

/** The prefix of every tag member name. */
export const TAG_PREFIX = "$farcall:";

export const T_UNDEFINED = "$farcall:undefined";
export const T_NUMBER = "$farcall:number";
export const T_BIGINT = "$farcall:bigint";
export const T_DATE = "$farcall:date";
export const T_BYTES = "$farcall:bytes";
export const T_BUFFER = "$farcall:buffer";
export const T_MAP = "$farcall:map";
export const T_SET = "$farcall:set";
export const T_ERROR = "$farcall:error";
export const T_ESCAPED = "$farcall:escaped";
export const T_TYPE = "$farcall:type";
export const T_PYTHON = "$farcall:python";

export const UNDEFINED_TAG = Object.freeze({ [T_UNDEFINED]: null });

export const HAS_BUFFER = typeof Buffer === "function";

/**
 * Defines an own data property. Plain assignment of "__proto__" would call the inherited
 * setter and replace the prototype instead.
 */
export function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

// ---- base64 (Buffer where it exists, atob/btoa elsewhere) ----------------------------------

export function isBase64(s: string): boolean {
  return s.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(s);
}

export function toBase64(bytes: Uint8Array): string {
  if (HAS_BUFFER) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
  let binary = "";
  // Chunks keep String.fromCharCode's argument count well below engine limits.
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

export function fromBase64(s: string, asBuffer: boolean): Uint8Array {
  if (HAS_BUFFER) {
    const buf = Buffer.from(s, "base64");
    // A small Buffer is a view of Node's shared pool: copy it out for a plain Uint8Array.
    return asBuffer ? buf : new Uint8Array(buf);
  }
  const binary = atob(s);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}
