/**
 * Decoding the tagged JSON form: every tag object in a parsed document replaced by the value
 * it stands for. Anything that looks like a tag but is malformed is PARSE_ERROR.
 */
import { RpcError } from "../core/errors.js";
import { errorFromWire, type WireError } from "./wire-error.js";
import { fromBase64, isBase64, MAX_BIGINT_CHARS, setOwn, T_BIGINT, T_BUFFER, T_BYTES, T_DATE, T_ERROR, T_ESCAPED, T_MAP, T_NUMBER, T_PYTHON, T_SET, T_TYPE, T_UNDEFINED, TAG_PREFIX } from "./json-tags.js";
import { markFromWire } from "./python-mark.js";
import { decodeRegistered } from "../core/type-registry.js";

function malformed(message: string): RpcError {
  return new RpcError("PARSE_ERROR", `malformed farcall JSON tag: ${message}`);
}

/** `v` with every tag replaced by the value it stands for, in place where possible. */
export function revive(v: unknown): unknown {
  if (typeof v !== "object" || v === null) return v;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (typeof x === "object" && x !== null) v[i] = revive(x);
    }
    return v;
  }
  const o = v as Record<string, unknown>;
  let only: string | undefined;
  let n = 0;
  for (const k in o) {
    if (++n > 1) break;
    only = k;
  }
  if (n === 1 && only!.startsWith(TAG_PREFIX)) return fromTag(only!, o[only!]);
  reviveMembers(o);
  return o;
}

function reviveMembers(o: Record<string, unknown>): void {
  for (const k in o) {
    const x = o[k];
    if (typeof x !== "object" || x === null) continue;
    const y = revive(x);
    if (y !== x) setOwn(o, k, y);
  }
}

function fromTag(name: string, p: unknown): unknown {
  switch (name) {
    case T_UNDEFINED:
      if (p !== null) throw malformed("undefined carries null");
      return undefined;
    case T_NUMBER:
      if (p === "NaN") return NaN;
      if (p === "Infinity") return Infinity;
      if (p === "-Infinity") return -Infinity;
      if (p === "-0") return -0;
      throw malformed(`number ${JSON.stringify(p)} is not NaN, Infinity, -Infinity or -0`);
    case T_BIGINT:
      if (typeof p !== "string") throw malformed("bigint carries a decimal string");
      if (p.length > MAX_BIGINT_CHARS) {
        throw new RpcError("RESOURCE_EXHAUSTED", `bigint of ${p.length} digits exceeds ${MAX_BIGINT_CHARS} characters`);
      }
      if (!/^-?[0-9]+$/.test(p)) throw malformed("bigint carries a decimal string");
      return BigInt(p);
    case T_DATE: {
      if (p === null) return new Date(NaN);
      const d = typeof p === "string" ? new Date(p) : undefined;
      if (!d || Number.isNaN(d.getTime())) throw malformed("date carries an ISO 8601 string or null");
      return d;
    }
    case T_BYTES:
    case T_BUFFER:
      if (typeof p !== "string" || !isBase64(p)) throw malformed(`${name.slice(TAG_PREFIX.length)} carries a base64 string`);
      return fromBase64(p, name === T_BUFFER);
    case T_MAP: {
      if (!Array.isArray(p)) throw malformed("map carries an array of [key, value] pairs");
      const m = new Map<unknown, unknown>();
      for (const pair of p) {
        if (!Array.isArray(pair) || pair.length !== 2) throw malformed("map carries an array of [key, value] pairs");
        m.set(revive(pair[0]), revive(pair[1]));
      }
      return m;
    }
    case T_SET:
      if (!Array.isArray(p)) throw malformed("set carries an array");
      return new Set(revive(p) as unknown[]);
    case T_ERROR:
      if (typeof p !== "object" || p === null || Array.isArray(p)) throw malformed("error carries an object");
      return errorFromWire(p as WireError, revive);
    case T_TYPE:
      if (!Array.isArray(p) || p.length !== 2 || typeof p[0] !== "string") throw malformed("type carries [name, data]");
      return decodeRegistered(p[0], revive(p[1]));
    case T_PYTHON:
      if (!Array.isArray(p)) throw malformed("python carries [name, value, ...details]");
      return markFromWire(revive(p));
    case T_ESCAPED:
      if (typeof p !== "object" || p === null || Array.isArray(p)) throw malformed("escaped carries an object");
      reviveMembers(p as Record<string, unknown>);
      return p;
    default:
      throw malformed(`unknown tag ${JSON.stringify(name)}`);
  }
}
