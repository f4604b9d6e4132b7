/**
 * A growable byte buffer for the pickle encoder, with the few fixed-width forms pickle uses
 * (little-endian lengths, big-endian floats) and UTF-8 with CPython's `surrogatepass`, so a
 * string holding a lone surrogate reaches Python as the same string.
 */

/** First buffer size: most manager messages fit without growing. */
const INITIAL_BYTES = 4096;

/** A reused writer drops a buffer grown past this, so one big message is not kept forever. */
const RETAIN_BYTES = 1 << 20;

/** Strings at least this long and free of lone surrogates go through TextEncoder. */
const ENCODER_MIN_CHARS = 64;

const encoder = new TextEncoder();

/**
 * UTF-8 length of `s`, lone surrogates taking 3 bytes each; negated when it has any (then
 * TextEncoder, which would write U+FFFD, must not be used).
 */
export function utf8Length(s: string): number {
  let n = 0;
  let lone = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else {
      if (c >= 0xd800 && c <= 0xdfff) lone = true;
      n += 3;
    }
  }
  return lone ? -n : n;
}

/** UTF-8 length of `data` read as Latin-1 text: bytes from 0x80 take two. */
export function latin1Utf8Length(data: Uint8Array): number {
  let n = data.length;
  for (let i = 0; i < data.length; i++) if (data[i] >= 0x80) n++;
  return n;
}

/** The slab small results are carved from, and the largest piece taken from it. */
const SLAB_BYTES = 16 * 1024;
const SLAB_PIECE_BYTES = 2 * 1024;
let slab = new Uint8Array(SLAB_BYTES);
let slabUsed = 0;

export class PickleWriter {
  private buf = new Uint8Array(INITIAL_BYTES);
  private data = new DataView(this.buf.buffer);
  private len = 0;

  /** Starts a new pickle after `headroom` zero bytes; the buffer is kept, so a reused writer rarely allocates. */
  reset(headroom = 0): void {
    this.buf.fill(0, 0, headroom);
    this.len = headroom;
  }

  /** Ends a pickle: a buffer grown past RETAIN_BYTES is dropped. */
  release(): void {
    if (this.buf.length > RETAIN_BYTES) {
      this.buf = new Uint8Array(INITIAL_BYTES);
      this.data = new DataView(this.buf.buffer);
    }
  }

  /**
   * A copy of the bytes written since reset(), exactly as long as they are. A small one is
   * carved from a shared slab, as Node's Buffer pool does: an ArrayBuffer of its own per
   * reply costs an allocation and a sweep each, more than encoding a small reply.
   */
  result(): Uint8Array {
    const n = this.len;
    if (n > SLAB_PIECE_BYTES) return this.buf.slice(0, n);
    if (slabUsed + n > SLAB_BYTES) {
      slab = new Uint8Array(SLAB_BYTES);
      slabUsed = 0;
    }
    const out = slab.subarray(slabUsed, slabUsed + n);
    out.set(this.buf.subarray(0, n));
    slabUsed = (slabUsed + n + 7) & ~7;
    return out;
  }

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
    this.data = new DataView(next.buffer);
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.len++] = b;
  }

  bytes(data: Uint8Array): void {
    this.ensure(data.length);
    this.buf.set(data, this.len);
    this.len += data.length;
  }

  u16(v: number): void {
    this.ensure(2);
    this.data.setUint16(this.len, v, true);
    this.len += 2;
  }

  u32(v: number): void {
    this.ensure(4);
    this.data.setUint32(this.len, v, true);
    this.len += 4;
  }

  i32(v: number): void {
    this.ensure(4);
    this.data.setInt32(this.len, v, true);
    this.len += 4;
  }

  u64(v: number): void {
    this.u32(v % 0x100000000);
    this.u32(Math.floor(v / 0x100000000));
  }

  f64be(v: number): void {
    this.ensure(8);
    this.data.setFloat64(this.len, v, false);
    this.len += 8;
  }

  /** Writes `s` as UTF-8; `signedLength` is what utf8Length(s) returned. */
  utf8(s: string, signedLength: number): void {
    const n = Math.abs(signedLength);
    this.ensure(n);
    if (signedLength >= 0 && s.length >= ENCODER_MIN_CHARS) {
      encoder.encodeInto(s, this.buf.subarray(this.len, this.len + n));
      this.len += n;
      return;
    }
    const b = this.buf;
    let p = this.len;
    for (let i = 0; i < s.length; i++) {
      let c = s.charCodeAt(i);
      if (c < 0x80) {
        b[p++] = c;
      } else if (c < 0x800) {
        b[p++] = 0xc0 | (c >> 6);
        b[p++] = 0x80 | (c & 0x3f);
      } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
        c = 0x10000 + ((c - 0xd800) << 10) + (s.charCodeAt(++i) - 0xdc00);
        b[p++] = 0xf0 | (c >> 18);
        b[p++] = 0x80 | ((c >> 12) & 0x3f);
        b[p++] = 0x80 | ((c >> 6) & 0x3f);
        b[p++] = 0x80 | (c & 0x3f);
      } else {
        // Includes a lone surrogate, written as its 3-byte form like `surrogatepass`.
        b[p++] = 0xe0 | (c >> 12);
        b[p++] = 0x80 | ((c >> 6) & 0x3f);
        b[p++] = 0x80 | (c & 0x3f);
      }
    }
    this.len = p;
  }

  /**
   * Bytes as the Latin-1 text Python's protocols 0-2 spell them with, UTF-8 encoded;
   * `byteLength` is what latin1Utf8Length(data) returned.
   */
  latin1AsUtf8(data: Uint8Array, byteLength: number): void {
    this.ensure(byteLength);
    for (let i = 0; i < data.length; i++) {
      const c = data[i];
      if (c < 0x80) {
        this.buf[this.len++] = c;
      } else {
        this.buf[this.len++] = 0xc0 | (c >> 6);
        this.buf[this.len++] = 0x80 | (c & 0x3f);
      }
    }
  }
}
