/**
 * Which web pages may open a WebSocket to a listener. A browser sends its page's Origin with
 * every WebSocket handshake and, unlike fetch(), applies no CORS check to the answer, so
 * without this any page a visitor opens could call a listener that asks for no key through
 * the visitor's browser (cross-site WebSocket hijacking), including one on 127.0.0.1. A
 * request without an Origin is not from a page and is not judged here.
 */
import type { IncomingMessage } from "node:http";
import { splitHost, type HostCheck } from "../http/host-check.js";

export interface OriginPolicy {
  /** Refuses upgrades addressed to a name this listener does not answer (DNS rebinding), where it applies. */
  host?: HostCheck | undefined;
  /** Origins accepted besides the listener's own ("http://localhost:5173"), compared exactly. */
  allowOrigins: ReadonlySet<string>;
  /** Subprotocols whose handshake proves the listener's key here (farcall.v1 with an authkey): any page may try them. */
  authenticated: ReadonlySet<string>;
}

/** Why `req`'s page may not open `protocol` here, or undefined when it may. */
export function refusedOrigin(req: IncomingMessage, protocol: string, policy: OriginPolicy): string | undefined {
  // Before the Origin: under DNS rebinding the page's Origin names the Host it was sent to.
  const wrongHost = policy.host?.(req.headers.host);
  if (wrongHost !== undefined) return wrongHost;
  const origin = req.headers.origin;
  if (origin === undefined || policy.authenticated.has(protocol) || policy.allowOrigins.has(origin)) return undefined;
  if (sameOrigin(origin, req.headers.host)) return undefined;
  return `a page of ${origin} may not open a ${protocol} WebSocket here: it carries no key on this listener, so any site a visitor opens could call it (allowOrigins lists the origins to accept)`;
}

/** The Origin names the host and port the request was sent to (the Host header). */
function sameOrigin(origin: string, host: string | undefined): boolean {
  if (host === undefined) return false;
  let u: URL;
  try {
    u = new URL(origin);
  } catch {
    return false; // "null" (a sandboxed page, a file:// page) is no origin of ours
  }
  const port = u.port || (u.protocol === "https:" ? "443" : "80");
  const bracketed = u.hostname;
  const [hostName, hostPort] = splitHost(host.toLowerCase());
  return bracketed === hostName && port === (hostPort || (u.protocol === "https:" ? "443" : "80"));
}
