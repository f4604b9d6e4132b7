/**
 * The sniff-table matcher for HTTP on a one-port listener: an HTTP/1.x request line.
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
