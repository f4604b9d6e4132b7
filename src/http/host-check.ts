/**
 * DNS rebinding: a page on a site the attacker controls can have its name re-pointed to
 * 127.0.0.1, and the visitor's browser then treats a loopback listener as that site's own
 * origin: same-origin requests, no CORS check, WebSocket Origin equal to Host. A listener on
 * loopback that asks for no key would take its calls. The one thing such a request cannot
 * hide is the name it was sent to (the Host header), so a keyless loopback listener answers
 * only requests addressed to a loopback name, or to a name its `allowHosts` lists (a reverse
 * proxy that keeps the public Host, say).
 */

/** Why a request addressed to `host` (the Host header) is refused here, or undefined. */
export type HostCheck = (host: string | undefined) => string | undefined;

/** The guard for a listener bound to `bindHost`, or undefined where no guard applies. */
export function rebindingGuard(bindHost: string, keyed: boolean, allowHosts: ReadonlySet<string>): HostCheck | undefined {
  // A key is proved by every call; a listener reachable beyond loopback has names we cannot know.
  if (keyed || !isLoopbackName(bindHost)) return undefined;
  // A client sends the same Host on every request: the last one accepted is not parsed again.
  let accepted: string | undefined;
  return (host) => {
    // HTTP/1.0 without Host is no browser's request.
    if (host === undefined || host === accepted) return undefined;
    const name = hostName(host);
    if (isLoopbackName(name) || allowHosts.has(name)) {
      accepted = host;
      return undefined;
    }
    return `a request addressed to ${JSON.stringify(host)} is refused on this loopback listener without a key: a page whose DNS name was pointed at 127.0.0.1 (DNS rebinding) could call it; allowHosts lists other names to accept`;
  };
}

/** A Host header ("host:port" or "[v6]:port") as [host as URL.hostname writes it, port or ""]. */
export function splitHost(host: string): [string, string] {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(host);
  return m ? [m[1]!, m[2] ?? ""] : [host, ""];
}

/** "Name:port" or "[v6]:port" as a lower-case name without port or brackets. */
export function hostName(host: string): string {
  return splitHost(host.trim().toLowerCase())[0].replace(/^\[|\]$/g, "");
}

/** localhost, *.localhost (RFC 6761), 127.0.0.0/8 and ::1. */
export function isLoopbackName(name: string): boolean {
  const n = name.toLowerCase().replace(/^\[|\]$/g, "");
  return n === "localhost" || n.endsWith(".localhost") || n === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(n);
}
