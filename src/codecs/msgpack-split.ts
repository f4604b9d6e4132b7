/**
 * Assembles a {@link SplitFrame} from a document packed with its large byte arrays left out
 * (see packBytes in msgpack.ts): each left-out array stands there as an ext 32 header
 * declaring zero bytes, which gets the array's real length here, and the array goes between
 * the packed pieces at that point.
 */
import { SplitFrame } from "../core/split-frame.js";

/**
 * Byte arrays from this size up are "large": left out of a split frame, and a document
 * holding them is packed into a buffer of its own size (see msgpack.ts), not into msgpackr's
 * shared one.
 */
export const LARGE_BYTES = 64 * 1024;
/** 0xc9, a 4-byte length, the type byte. */
const EXT32_HEADER = 6;

/**
 * The large byte arrays left out of the document being packed by encodeSplit (undefined for
 * every other pack): the offset in the packed bytes where each belongs, and the array.
 */
let leftOut: { at: number[]; bytes: Uint8Array[] } | undefined;

/** msgpackr's hook for an extension that writes its own bytes into the pack buffer. */
export type AllocateForWrite = (size: number) => { target: Uint8Array; position: number };

/**
 * The Uint8Array and Buffer extensions' packer: the bytes themselves (msgpackr copies them
 * after an ext header), or, for a large array while encodeSplit packs, only an ext 32 header
 * declaring zero bytes, the array noted in `leftOut`. The scan then sees an empty byte array
 * and encodeSplit writes the real length once it has.
 */
export function packBytes(bytes: Uint8Array, type: number, allocateForWrite: AllocateForWrite | undefined): Uint8Array | undefined {
  if (leftOut === undefined || bytes.byteLength < LARGE_BYTES || typeof allocateForWrite !== "function") return bytes;
  const { target, position } = allocateForWrite(EXT32_HEADER);
  target[position] = 0xc9;
  target.fill(0, position + 1, position + 5);
  target[position + 5] = type;
  leftOut.at.push(position + EXT32_HEADER);
  leftOut.bytes.push(bytes);
  return undefined;
}
/**
 * Runs `pack` (a msgpackr pack into a fresh buffer) with large byte arrays left out, and
 * returns the frame around them; undefined when none was left out or the offsets cannot be
 * trusted (see splitAround).
 */
export function packSplit(pack: () => Uint8Array): SplitFrame | undefined {
  const outer = leftOut;
  const out: { at: number[]; bytes: Uint8Array[] } = (leftOut = { at: [], bytes: [] });
  let packed: Uint8Array;
  try {
    packed = pack();
  } finally {
    leftOut = outer;
  }
  return out.at.length === 0 ? undefined : splitAround(packed, out.at, out.bytes);
}


/**
 * The frame `packed` + `payloads` at offsets `at`, or undefined when a header is not where it
 * was noted (msgpackr moved its buffer in a way the offsets do not follow): the caller then
 * packs the document whole, so a surprise costs a copy, never a wrong byte.
 */
function splitAround(packed: Uint8Array, at: readonly number[], payloads: readonly Uint8Array[]): SplitFrame | undefined {
  if (packed.byteOffset !== 0) return undefined;
  let prev = 0;
  for (const pos of at) {
    const h = pos - EXT32_HEADER;
    if (h < prev || pos > packed.length || packed[h] !== 0xc9 || packed[h + 1] !== 0 || packed[h + 2] !== 0 || packed[h + 3] !== 0 || packed[h + 4] !== 0) return undefined;
    prev = pos;
  }
  const parts: Uint8Array[] = [];
  let total = packed.length;
  prev = 0;
  for (let i = 0; i < at.length; i++) {
    const pos = at[i]!;
    const payload = payloads[i]!;
    const n = payload.byteLength;
    packed[pos - 5] = n >>> 24;
    packed[pos - 4] = (n >>> 16) & 0xff;
    packed[pos - 3] = (n >>> 8) & 0xff;
    packed[pos - 2] = n & 0xff;
    parts.push(packed.subarray(prev, pos), payload);
    total += n;
    prev = pos;
  }
  parts.push(packed.subarray(prev));
  return new SplitFrame(parts, total);
}
