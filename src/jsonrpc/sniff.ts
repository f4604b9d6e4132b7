/**
 * The sniff-table matcher for raw JSON-RPC on a one-port listener: a JSON object or array.
 */

/** Whitespace JSON allows before a value (RFC 8259: space, tab, LF, CR). */
function isJsonSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

/** true when the first byte after optional whitespace is `{` or `[`; undefined for whitespace only. */
export function matchJsonValue(head: Buffer): boolean | undefined {
  for (const c of head) {
    if (isJsonSpace(c)) continue;
    return c === 0x7b || c === 0x5b;
  }
  return undefined;
}
