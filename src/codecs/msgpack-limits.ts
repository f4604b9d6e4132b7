/**
 * A validating pass over MessagePack bytes, run before the real decoder: it checks that the
 * document is complete, nests no deeper than the limit, declares no more elements than there
 * are bytes left, and uses only the extension types farcall defines. The decoder therefore
 * never allocates from a length a peer chose, never recurses past the limit, and never meets
 * an extension (records, pointers, regexps) that would build something we did not ask for.
 * It reads headers only and skips over payloads, so its cost is small next to decoding.
 */

/** Extension types that are a one-byte tag followed by one ordinary value (see msgpack.ts). */
export const EXT_MAP = 1;
export const EXT_SET = 2;
export const EXT_ERROR = 3;
/** A registered type: tag ext 4 followed by [name, data]. */
export const EXT_REGISTERED = 4;
/** A reference (function, ref() object, stream): tag ext 7 followed by [kind, id, names?]. */
export const EXT_REF = 7;
/** Tag: an ArrayBuffer moved beside the frame (a MessagePort's transfer list), by its index. */
export const EXT_TRANSFER = 8;
/** Raw-byte extension types: the payload is the bytes themselves, decoded as a view. */
export const EXT_UINT8ARRAY = 5;
export const EXT_BUFFER = 6;
/** Negative zero, which msgpackr would write as the integer 0: fixext1, payload ignored. */
export const EXT_NEG_ZERO = 9;
/** A Python type mark (codecs/python-mark.ts): tag ext 10 followed by [name, value, ...details]. */
export const EXT_PYTHON = 10;
/** msgpackr's own extension types that farcall accepts. */
const EXT_UNDEFINED = 0;
const EXT_TIMESTAMP = -1;
const EXT_BIGINT = 0x42;
const EXT_TYPED_ARRAY = 0x74;

/** A big integer of more bytes than this is refused: parsing huge ones is quadratic. */
export const MAX_BIGINT_BYTES = 1024;

/** Why a document was refused; `limit` marks a limit (not a syntax) violation. */
export interface ScanFailure {
  message: string;
  limit: boolean;
}

/**
 * Whether the document scanMsgpack last accepted holds a plain bin value: msgpackr decodes
 * those as views of the bytes it read, so such a document must be decoded where it lies.
 */
export let scannedBin = false;

// Remaining element counts per open container. Scanning is synchronous, so one array serves
// every call; it grows to the deepest limit ever asked for and no further.
let remaining = new Float64Array(65);

function fail(message: string, limit = false): ScanFailure {
  return { message, limit };
}

/**
 * Returns undefined when bytes `start` to `end` of `buf` hold exactly one acceptable
 * document, else the reason.
 */
export function scanMsgpack(buf: Uint8Array, maxDepth: number, start = 0, end = buf.length): ScanFailure | undefined {
  if (remaining.length < maxDepth + 1) remaining = new Float64Array(maxDepth + 1);
  let pos = start;
  let depth = 0;
  remaining[0] = 1;
  scannedBin = false;
  for (;;) {
    while (remaining[depth] === 0) {
      if (depth === 0) {
        return pos === end ? undefined : fail(`${end - pos} trailing bytes after the document`);
      }
      depth--;
    }
    if (pos >= end) return fail("document is truncated");
    remaining[depth]--;
    const b = buf[pos++];
    let count = 0; // elements of a container opened by this byte
    let skip = 0; // payload bytes to step over
    if (b <= 0x7f || b >= 0xe0) {
      continue;
    } else if (b <= 0x8f) {
      count = (b & 0x0f) * 2;
    } else if (b <= 0x9f) {
      count = b & 0x0f;
    } else if (b <= 0xbf) {
      skip = b & 0x1f;
    } else {
      if (b >= 0xc4 && b <= 0xc6) scannedBin = true;
      switch (b) {
        case 0xc0: case 0xc2: case 0xc3:
          continue;
        case 0xc4: case 0xd9:
          if (pos + 1 > end) return fail("document is truncated");
          skip = buf[pos]; pos += 1;
          break;
        case 0xc5: case 0xda:
          if (pos + 2 > end) return fail("document is truncated");
          skip = (buf[pos] << 8) | buf[pos + 1]; pos += 2;
          break;
        case 0xc6: case 0xdb:
          if (pos + 4 > end) return fail("document is truncated");
          skip = readU32(buf, pos); pos += 4;
          break;
        case 0xca: skip = 4; break;
        case 0xcb: skip = 8; break;
        case 0xcc: case 0xd0: skip = 1; break;
        case 0xcd: case 0xd1: skip = 2; break;
        case 0xce: case 0xd2: skip = 4; break;
        case 0xcf: case 0xd3: skip = 8; break;
        case 0xdc:
          if (pos + 2 > end) return fail("document is truncated");
          count = (buf[pos] << 8) | buf[pos + 1]; pos += 2;
          break;
        case 0xdd:
          if (pos + 4 > end) return fail("document is truncated");
          count = readU32(buf, pos); pos += 4;
          break;
        case 0xde:
          if (pos + 2 > end) return fail("document is truncated");
          count = ((buf[pos] << 8) | buf[pos + 1]) * 2; pos += 2;
          break;
        case 0xdf:
          if (pos + 4 > end) return fail("document is truncated");
          count = readU32(buf, pos) * 2; pos += 4;
          break;
        case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8: {
          if (pos + 1 > end) return fail("document is truncated");
          const type = (buf[pos] << 24) >> 24;
          const size = 1 << (b - 0xd4);
          pos += 1;
          if (b === 0xd4 && (type === EXT_MAP || type === EXT_SET || type === EXT_ERROR || type === EXT_REGISTERED || type === EXT_REF || type === EXT_TRANSFER || type === EXT_PYTHON)) {
            count = 1; // a tag: the tagged value follows as the next document element
          } else if (!extensionAllowed(type, size)) {
            return fail(`extension type ${type} of ${size} bytes is not accepted`);
          }
          skip = size;
          break;
        }
        case 0xc7: case 0xc8: case 0xc9: {
          const lenBytes = b === 0xc7 ? 1 : b === 0xc8 ? 2 : 4;
          if (pos + lenBytes + 1 > end) return fail("document is truncated");
          const size = lenBytes === 1 ? buf[pos] : lenBytes === 2 ? (buf[pos] << 8) | buf[pos + 1] : readU32(buf, pos);
          pos += lenBytes;
          const type = (buf[pos] << 24) >> 24;
          pos += 1;
          if (!extensionAllowed(type, size)) {
            return fail(`extension type ${type} of ${size} bytes is not accepted`, type === EXT_BIGINT);
          }
          skip = size;
          break;
        }
        default:
          return fail(`byte 0x${b.toString(16)} at offset ${pos - 1 - start} is not MessagePack`);
      }
    }
    if (skip > 0) {
      if (skip > end - pos) return fail("document is truncated");
      pos += skip;
    }
    if (count > 0) {
      // Every element takes at least one byte, so a count above the bytes left is a lie.
      if (count > end - pos) return fail(`container declares ${count} elements but only ${end - pos} bytes remain`);
      if (depth + 1 > maxDepth) return fail(`nesting depth exceeds maxDepth ${maxDepth}`, true);
      remaining[++depth] = count;
    }
  }
}

function extensionAllowed(type: number, size: number): boolean {
  switch (type) {
    case EXT_UNDEFINED:
    case EXT_NEG_ZERO: return size === 1;
    case EXT_TIMESTAMP: return size === 4 || size === 8 || size === 12;
    case EXT_BIGINT: return size <= MAX_BIGINT_BYTES;
    case EXT_TYPED_ARRAY: return size >= 1;
    case EXT_UINT8ARRAY:
    case EXT_BUFFER: return true;
    default: return false;
  }
}

function readU32(buf: Uint8Array, pos: number): number {
  return buf[pos] * 0x1000000 + ((buf[pos + 1] << 16) | (buf[pos + 2] << 8) | buf[pos + 3]);
}
