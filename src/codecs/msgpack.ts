/**
 * farcall/1's codec: MessagePack through msgpackr, with exact round trips of Date, BigInt,
 * Map, Set, Uint8Array and Buffer, undefined and errors. Every document is validated by
 * scanMsgpack before msgpackr sees it.
 *
 * Wire forms (documented in the README):
 *   Date        timestamp extension (-1)            BigInt      int64, or msgpackr's ext 0x42 when wider
 *   Map         tag ext 1 + array of [key, value]   Set         tag ext 2 + array of values
 *   Error       tag ext 3 + {name, message, code?, data?} (never a stack)
 *   registered  tag ext 4 + [name, data] (registerType)
 *   undefined   fixext1 type 0
 *   Uint8Array  ext 5, its bytes as the payload     Buffer      ext 6, likewise (plain bin decodes as a Buffer)
 *   other typed arrays: msgpackr's typed-array ext 0x74
 *   reference   tag ext 7 + [kind, id, methodNames?]: a function, a ref() object or a stream
 *               (async iterable) passed by reference, valid only within its farcall/1 session
 *   transfer    tag ext 8 + index: a value moved beside the frame (MessagePort sessions)
 *   -0          fixext1 type 9, payload ignored
 *   Python type tag ext 10 + [name, value, ...details]: an array, Map, Set, Uint8Array or Date
 *               carrying a Python type mark (a tuple, an OrderedDict...; codecs/python-mark.ts)
 */
import { Packr, addExtension, isNativeAccelerationEnabled } from "msgpackr";
import type { Codec, DecodeLimits } from "../core/codec.js";
import { RpcError } from "../core/errors.js";
import { errorFromWire, errorToWire, type WireError } from "./wire-error.js";
import { decodeRegistered, registeredTypeOf } from "../core/type-registry.js";
import { WireRef, type RefContext } from "../core/ref-wire.js";
import { isMarkedRef } from "../core/ref.js";
import { EXT_ERROR, EXT_MAP, EXT_NEG_ZERO, EXT_PYTHON, EXT_REF, EXT_REGISTERED, EXT_SET, EXT_TRANSFER, scanMsgpack, scannedBin } from "./msgpack-limits.js";
import { isMessagePort, takeTransferMark } from "../core/transfer.js";
import type { Frame } from "../core/split-frame.js";
import { LARGE_BYTES, packSplit } from "./msgpack-split.js";
import "./msgpack-bytes.js";
import { NOT_SMALL, packSmall, unpackSmall } from "./msgpack-small.js";
import { PYTHON_MARKS, pythonTypeOf } from "../core/python-types.js";
import { markFromWire, markToWire } from "./python-mark.js";

/** Holds a Map's entries on the way out: msgpackr writes every real Map as a plain map. */
class WireMap {
  constructor(readonly entries: unknown[][]) {}
}

/** A registered type's instance on the way out: its name and its encoded data. */
class WireRegistered {
  constructor(
    readonly name: string,
    readonly data: unknown,
  ) {}
}

addExtension({
  Class: WireMap,
  type: EXT_MAP,
  write: (m: WireMap) => m.entries,
  read: (entries: unknown) => new Map(Array.isArray(entries) ? (entries as [unknown, unknown][]) : []),
});
addExtension({
  Class: WireRegistered,
  type: EXT_REGISTERED,
  write: (r: WireRegistered) => [r.name, r.data],
  read: (pair: unknown) => (Array.isArray(pair) && pair.length === 2 ? decodeRegistered(pair[0], pair[1]) : decodeRegistered(undefined, pair)),
});
/**
 * The references of the document being decoded. msgpackr's extensions are process-wide and
 * their read callbacks get no context, so decode() sets this for the length of its unpack
 * (restoring the outer one after, for a decode inside a decode). Encoding needs no such
 * slot: lowerMaps exports references before msgpackr sees the value.
 */
let decodingRefs: RefContext | undefined;

addExtension({
  Class: WireRef,
  type: EXT_REF,
  write: (r: WireRef) => (r.names ? [r.kind, r.id, r.names] : [r.kind, r.id]),
  read: (parts: unknown) => {
    const refs = decodingRefs;
    if (!refs) throw new RpcError("PARSE_ERROR", "a reference (function, ref() object or stream) can only be received over a farcall/1 session");
    return Array.isArray(parts) ? refs.importValue(parts[0], parts[1]) : refs.importValue(undefined, undefined);
  },
});

/** A value moved beside its frame (see core/transfer.ts), by its index there. */
export class WireTransfer {
  constructor(readonly index: number) {}
}

addExtension({
  Class: WireTransfer,
  type: EXT_TRANSFER,
  write: (t: WireTransfer) => t.index,
  read: (index: unknown) => {
    const refs = decodingRefs;
    if (!refs?.transferIn) throw new RpcError("PARSE_ERROR", "a transferred value can only be received over a MessagePort session");
    return refs.transferIn(index);
  },
});

/** A MessagePort can only be handed over in a port's transfer list; anywhere else it would arrive as `{}`. */
function transferPort(port: object, refs: RefContext | undefined): unknown {
  if (!refs?.transferOut) throw new RpcError("INVALID_PARAMS", "a MessagePort can only be passed over a MessagePort session (a worker or a MessageChannel), not over a socket");
  takeTransferMark(port);
  return refs.transferOut(port);
}

/** A function, ref() object or stream on its way out: a reference in `refs`. */
function exportRef(value: object, refs: RefContext | undefined): WireRef {
  if (!refs) throw new RpcError("INVALID_PARAMS", "functions, ref() objects and streams can only be passed over a farcall/1 session");
  return refs.exportValue(value);
}

/** -0 on its way out (msgpackr's number path writes it as the integer 0, losing the sign). */
class WireNegZero {}
const NEG_ZERO = new WireNegZero();
const NEG_ZERO_PAYLOAD = new Uint8Array([0]);

addExtension({
  Class: WireNegZero,
  type: EXT_NEG_ZERO,
  pack: () => NEG_ZERO_PAYLOAD as Buffer,
  unpack: () => -0,
});

addExtension({
  Class: Set,
  type: EXT_SET,
  write: (s: Set<unknown>) => [...s],
  read: (values: unknown) => new Set(Array.isArray(values) ? values : []),
});
addExtension({
  Class: Error,
  type: EXT_ERROR,
  write: (e: Error) => errorToWire(e),
  read: (o: WireError) => errorFromWire(o),
})

/** A value carrying a Python type mark on the way out: [name, lowered value, ...details]. */
class WirePython {
  constructor(readonly parts: unknown[]) {}
}

addExtension({
  Class: WirePython,
  type: EXT_PYTHON,
  write: (w: WirePython) => w.parts,
  read: (parts: unknown) => markFromWire(parts),
});

/** `lowered` (the codec's form of `value`), wrapped with `value`'s Python type mark when it has one. */
function keepMark(value: object, lowered: unknown): unknown {
  if (!PYTHON_MARKS.made) return lowered;
  const mark = pythonTypeOf(value);
  return mark === undefined ? lowered : new WirePython(markToWire(value, mark, lowered));
}

/** Room beside the large byte arrays for the rest of such a document (ids, names, headers). */
const LARGE_DOCUMENT_SLACK = 16 * 1024;
/** Bytes in large byte arrays seen by lowerMaps, counted while it walks a document anyway. */
let largeBytes = 0;
/** The part of largeBytes in Uint8Arrays (Buffers included): what encodeSplit leaves out. */
let splitBytes = 0;

function allocate(bytes: number): Uint8Array {
  return typeof Buffer === "function" ? Buffer.allocUnsafeSlow(bytes) : new Uint8Array(bytes);
}

/**
 * Replaces every Map in `value` by a WireMap (and -0 by its extension), copying only the
 * containers on the path to one, so a document without them costs one read-only walk and no
 * allocation.
 */
function lowerMaps(value: unknown, depth: number, maxDepth: number, refs: RefContext | undefined): unknown {
  if (typeof value !== "object" || value === null) {
    if (value === 0) return Object.is(value, -0) ? NEG_ZERO : value;
    return typeof value === "function" ? exportRef(value, refs) : value;
  }
  if (depth > maxDepth) {
    throw new RpcError("INVALID_PARAMS", `value nests deeper than ${maxDepth} levels (or is cyclic)`);
  }
  if (isMarkedRef(value)) return exportRef(value, refs);
  if (value instanceof Map) {
    const entries: unknown[][] = [];
    for (const [k, v] of value) entries.push([lowerMaps(k, depth + 1, maxDepth, refs), lowerMaps(v, depth + 1, maxDepth, refs)]);
    return keepMark(value, new WireMap(entries));
  }
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v = value[i];
      const lowered = lowerMaps(v, depth + 1, maxDepth, refs);
      if (lowered !== v) {
        copy ??= value.slice();
        copy[i] = lowered;
      }
    }
    return keepMark(value, copy ?? value);
  }
  if (ArrayBuffer.isView(value)) {
    if (refs?.transferOut && takeTransferMark(value)) return refs.transferOut(value);
    if (value.byteLength >= LARGE_BYTES) {
      largeBytes += value.byteLength;
      if (value instanceof Uint8Array) splitBytes += value.byteLength;
    }
    return keepMark(value, value);
  }
  if (value instanceof Date) return keepMark(value, value);
  if (value instanceof ArrayBuffer) return refs?.transferOut && takeTransferMark(value) ? refs.transferOut(value) : value;
  if (value instanceof Set) {
    let changed = false;
    const out: unknown[] = [];
    for (const v of value) {
      const lowered = lowerMaps(v, depth + 1, maxDepth, refs);
      if (lowered !== v) changed = true;
      out.push(lowered);
    }
    return keepMark(value, changed ? new Set(out) : value);
  }
  if (value instanceof Error) {
    if (!RpcError.is(value) || value.data === undefined) return value;
    const data = lowerMaps(value.data, depth + 1, maxDepth, refs);
    return data === value.data ? value : new RpcError(value.code, value.message, data);
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) {
    if (isMessagePort(value)) return transferPort(value, refs);
    const registered = registeredTypeOf(value);
    if (registered) {
      const data = (registered.encode as (v: unknown) => unknown)(value);
      return new WireRegistered(registered.name, lowerMaps(data, depth + 1, maxDepth, refs));
    }
    // Async generators, web ReadableStreams, node Readables: a stream with flow control.
    if (typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === "function") return exportRef(value, refs);
  }
  let copy: Record<string, unknown> | undefined;
  const obj = value as Record<string, unknown>;
  for (const key in obj) {
    if (!Object.prototype.hasOwnProperty.call(obj, key)) continue;
    const v = obj[key];
    const lowered = lowerMaps(v, depth + 1, maxDepth, refs);
    if (lowered !== v) {
      copy ??= { ...obj };
      copy[key] = lowered;
    }
  }
  return copy ?? value;
}

/**
 * The buffer a split document's own bytes start in: headers, ids and names fit many times
 * over, and msgpackr starts a pack at offset 0 only in a buffer over 2 KiB.
 */
const SPLIT_HEAD_BYTES = 4096;
/** msgpackr's own starting size for its pack buffer. */
const SMALL_PACK_BUFFER = 8192;

/**
 * msgpackr reads short strings in JavaScript only while the end of its source lies below
 * this offset; past it, each document's first string costs a call into its native string
 * extractor, which costs far more than copying a small frame (bench W2). A small frame that
 * sits deep in a socket read is therefore decoded from a copy at offset 0 (where msgpackr
 * has no extractor, as in a browser, it reads in place: the copy would buy nothing).
 */
const SMALL_SOURCE = 140;
/** Holds that copy; msgpackr caches its DataView on it, so it costs nothing per frame. */
const smallSource = new Uint8Array(SMALL_SOURCE);
/** Set while a document is decoded from smallSource: a decode inside it reads in place. */
let smallBusy = false;

/** Defaults for {@link createMsgpackCodec}. */
export const MSGPACK_DEFAULTS: Readonly<DecodeLimits> = Object.freeze({ maxDepth: 64 });

/** The MessagePack codec, with `limits` checked on every decode. */
export function createMsgpackCodec(limits: Partial<DecodeLimits> = {}): Codec {
  const maxDepth = limits.maxDepth ?? MSGPACK_DEFAULTS.maxDepth;
  if (!Number.isInteger(maxDepth) || maxDepth < 1 || maxDepth > 10_000) {
    throw new RangeError(`maxDepth must be an integer from 1 to 10000, got ${maxDepth}`);
  }
  const options = {
    useRecords: false,
    mapsAsObjects: true,
    int64AsType: "bigint",
    moreTypes: true,
    useBigIntExtension: true,
    structuredClone: false,
  } as const;
  const packr = new Packr(options);
  /** Packs what encodeSplit keeps: each document into a fresh small buffer (see splitAround). */
  const splitPackr = new Packr(options);

  /** The document with Maps lowered and references exported; sets `large` and `split`. */
  let large = 0;
  let split = 0;
  function lower(value: unknown, refs: RefContext | undefined): unknown {
    // lowerMaps' own bound only stops cycles; the scan is the exact check.
    const before = largeBytes;
    const beforeSplit = splitBytes;
    const lowered = lowerMaps(value, 0, maxDepth, refs);
    large = largeBytes - before;
    split = splitBytes - beforeSplit;
    largeBytes = before;
    splitBytes = beforeSplit;
    return lowered;
  }

  function pack(p: Packr, lowered: unknown): Uint8Array {
    try {
      return p.pack(lowered);
    } catch (err) {
      throw new RpcError("INVALID_PARAMS", `value cannot be encoded: ${(err as Error).message}`);
    }
  }

  // Never send what our own decoder (with the same limits) would refuse: the peer would
  // have to drop the connection, failing every call on it. A document of at most maxDepth
  // bytes cannot nest deeper than that (every level costs a byte) nor hold a big integer
  // over the limit, so the common small call skips the scan.
  function checked(bytes: Uint8Array): Uint8Array {
    const failure = bytes.length > maxDepth ? scanMsgpack(bytes, maxDepth) : undefined;
    if (failure) throw new RpcError("INVALID_PARAMS", `value cannot be sent: ${failure.message}`);
    return bytes;
  }

  function packWhole(lowered: unknown, largeBytes: number): Uint8Array {
    // msgpackr packs into one buffer shared by the packs that follow, growing it fourfold
    // when a document does not fit: a large document would land in a buffer several times
    // its size, which the frame writer must then copy out to exact size before queueing it
    // (to bound memory). Packing it into a buffer of about its own size saves that copy and
    // the oversized buffers; the next pack starts a small buffer again.
    if (largeBytes === 0) return checked(pack(packr, lowered));
    packr.useBuffer(allocate(largeBytes + LARGE_DOCUMENT_SLACK));
    try {
      return checked(pack(packr, lowered));
    } finally {
      packr.useBuffer(allocate(SMALL_PACK_BUFFER));
    }
  }

  return {
    name: "msgpack",
    syntax: "msgpack",
    encode(value: unknown, refs?: RefContext): Uint8Array {
      return packSmall(value, maxDepth) ?? packWhole(lower(value, refs), large);
    },
    encodeSplit(value: unknown, refs?: RefContext): Frame {
      const small = packSmall(value, maxDepth);
      if (small) return small;
      const lowered = lower(value, refs);
      const largeHere = large;
      if (split === 0) return packWhole(lowered, largeHere);
      // A fresh buffer per document: queued pieces must outlive the next pack, and msgpackr
      // starting at offset 0 of its buffer keeps the noted offsets valid as it grows it.
      splitPackr.useBuffer(allocate(largeHere - split + SPLIT_HEAD_BYTES));
      return packSplit(() => checked(pack(splitPackr, lowered))) ?? packWhole(lowered, largeHere);
    },
    decode(bytes: Uint8Array, start = 0, end = bytes.length, refs?: RefContext): unknown {
      const plain = unpackSmall(bytes, start, end, maxDepth);
      if (plain !== NOT_SMALL) return plain;
      const failure = scanMsgpack(bytes, maxDepth, start, end);
      if (failure) throw new RpcError(failure.limit ? "RESOURCE_EXHAUSTED" : "PARSE_ERROR", failure.message);
      const outer = decodingRefs;
      decodingRefs = refs;
      const small = end - start < SMALL_SOURCE && isNativeAccelerationEnabled && !scannedBin && !smallBusy;
      try {
        if (small) {
          smallBusy = true;
          const n = end - start;
          for (let i = 0; i < n; i++) smallSource[i] = bytes[start + i]!;
          return packr.unpack(smallSource, n);
        }
        return start === 0 && end === bytes.length ? packr.unpack(bytes) : packr.unpack(bytes, { start, end });
      } catch (err) {
        if (RpcError.is(err)) throw err; // a reference refused (limit, released, no session)
        throw new RpcError("PARSE_ERROR", `malformed MessagePack: ${(err as Error).message}`);
      } finally {
        decodingRefs = outer;
        if (small) smallBusy = false;
      }
    },
  };
}

/** The codec of handshake documents: tiny maps, so a small depth limit. */
export function createHandshakeCodec(): Codec {
  // Stateless between calls, so every connection shares one instead of building its own.
  handshakeCodec ??= createMsgpackCodec({ maxDepth: 4 });
  return handshakeCodec;
}
let handshakeCodec: Codec | undefined;
