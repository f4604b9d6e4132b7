/**
 * Splits a byte stream into JSON values, for JSON-RPC over raw TCP: newline-delimited
 * (`{...}\n{...}\n`) and back-to-back (`{...}{...}`) framing both work, because a value ends
 * where its outermost bracket closes. Only objects and arrays are values (JSON-RPC documents
 * are one or the other); whitespace between them is skipped.
 *
 * An integer-state loop over each chunk tracks strings, escapes and nesting depth, so both
 * limits are enforced while bytes arrive: a value deeper than maxDepth is refused at the
 * bracket that opens the level too many, and one longer than maxBytes before its bytes are
 * kept. Brackets inside strings do not count; UTF-8 never uses ASCII bytes inside a
 * multi-byte character, so scanning bytes is exact. Whether the value is valid JSON is left
 * to the decoder.
 *
 * Malformed framing is reported and the stream resynchronises at the next line, so a caller
 * always gets an answer: a byte that cannot start a value is reported and the rest of its
 * line skipped; a value still open when a line starts with `{` or `[` (a new value; a
 * pretty-printer indents everything but the outermost brackets) is reported unterminated, and
 * the new line starts afresh; so is a value whose string holds a raw line feed, which JSON
 * never allows in a string. Only the limits end the stream.
 */
import { RpcError } from "../core/errors.js";

export class JsonValueSplitter {
  /** Pieces of the value in progress, from earlier chunks. */
  private pieces: Buffer[] = [];
  /** Bytes of the value in progress held in `pieces`. */
  private held = 0;
  /** Open brackets of the value in progress; 0 between values. */
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** Discarding the rest of a line that held a byte no value can start with. */
  private skipping = false;
  /** The previous byte was a line feed: a value starting here is a new one. */
  private lineStart = false;

  constructor(
    private readonly maxBytes: number,
    private readonly maxDepth: number,
  ) {}

  /** True while a value has started but not ended. */
  get partial(): boolean {
    return this.depth > 0;
  }

  /**
   * Feeds `chunk`, calling `onValue` with each value it completes and `onMalformed` with a
   * PARSE_ERROR for each stretch it had to drop, in order. Throws RESOURCE_EXHAUSTED for a
   * value over a limit; the stream cannot be resynchronised after that.
   */
  push(chunk: Buffer, onValue: (value: Buffer) => void, onMalformed: (err: RpcError) => void): void {
    let start = this.depth > 0 ? 0 : -1;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      if (this.skipping) {
        if (c === 0x0a) this.skipping = false;
        continue;
      }
      if (this.depth > 0 && this.lineStart && (c === 0x7b || c === 0x5b) && !this.inString) {
        onMalformed(this.drop(i - start, "a new value starts on the next line"));
      }
      this.lineStart = c === 0x0a;
      if (this.depth === 0) {
        if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue;
        if (c !== 0x7b /* { */ && c !== 0x5b /* [ */) {
          onMalformed(new RpcError("PARSE_ERROR", `expected a JSON object or array, got byte 0x${c.toString(16).padStart(2, "0")}; the rest of the line is skipped`));
          this.skipping = c !== 0x0a;
          continue;
        }
        start = i;
        this.depth = 1;
        continue;
      }
      if (this.inString) {
        if (c === 0x0a) {
          onMalformed(this.drop(i - start, "a string holds a raw line feed"));
          start = -1;
        } else if (this.escaped) this.escaped = false;
        else if (c === 0x5c /* \ */) this.escaped = true;
        else if (c === 0x22 /* " */) this.inString = false;
        continue;
      }
      if (c === 0x22) {
        this.inString = true;
      } else if (c === 0x7b || c === 0x5b) {
        if (++this.depth > this.maxDepth) {
          throw new RpcError("RESOURCE_EXHAUSTED", `JSON nests deeper than maxDepth ${this.maxDepth}`);
        }
      } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
        if (--this.depth === 0) {
          const size = this.held + (i + 1 - start);
          this.checkSize(size);
          const tail = chunk.subarray(start, i + 1);
          const value = this.pieces.length === 0 ? tail : Buffer.concat([...this.pieces, tail], size);
          this.pieces = [];
          this.held = 0;
          start = -1;
          onValue(value);
        }
      }
    }
    if (this.depth > 0) {
      const rest = chunk.length - start;
      this.checkSize(this.held + rest);
      this.pieces.push(chunk.subarray(start));
      this.held += rest;
    }
  }

  /**
   * Forgets the open value (`inChunk` of its bytes are in the current chunk) and answers the
   * error reporting it; a `{` or `[` being looked at then starts a new value.
   */
  private drop(inChunk: number, why: string): RpcError {
    const size = this.held + Math.max(inChunk, 0);
    this.pieces = [];
    this.held = 0;
    this.depth = 0;
    this.inString = false;
    this.escaped = false;
    return new RpcError("PARSE_ERROR", `JSON value of ${size} B unterminated at the end of its line (${why}); it is dropped and reading goes on at the next line`);
  }

  private checkSize(size: number): void {
    if (size > this.maxBytes) throw new RpcError("RESOURCE_EXHAUSTED", `JSON value of more than ${size - 1} B exceeds maxBodyBytes ${this.maxBytes}`);
  }
}
