/**
 * Sniff-table matchers for the protocols a one-port listener recognises besides farcall/1:
 * an HTTP/1.x request line, and raw JSON-RPC (a JSON object or array).
 */

/** Request-line methods recognised; a connection starting with any other word is not HTTP. */
const HTTP_METHODS: readonly Buffer[] = ["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "CONNECT", "TRACE"].map((m) => Buffer.from(`${m} `, "latin1"));

/** true once `head` starts with an HTTP method token and a space; undefined while it could. */
export function matchHttpRequestLine(head: Buffer): boolean | undefined {
  let possible = false;
  for (const method of HTTP_METHODS) {
    const n = Math.min(head.length, method.length);
    if (head.compare(method, 0, n, 0, n) !== 0) continue;
    if (head.length >= method.length) return true;
    possible = true;
  }
  return possible ? undefined : false;
}

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
