/**
 * Listen and dial addresses: `tcp://host:port`, `tls://host:port`, `unix:///path.sock`.
 */

export type StreamScheme = "tcp" | "tls" | "unix";

export interface StreamAddress {
  scheme: StreamScheme;
  /** Host name or IP (brackets removed from IPv6); absent for unix. */
  host?: string;
  port?: number;
  /** Socket path, for unix. */
  path?: string;
}

/** Parses a transport URL; throws TypeError naming what is wrong. */
export function parseAddress(url: string): StreamAddress {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new TypeError(`invalid address ${JSON.stringify(url)}: expected tcp://host:port, tls://host:port or unix:///path.sock`);
  }
  const scheme = u.protocol.slice(0, -1);
  if (scheme === "unix") {
    const path = decodeURIComponent(u.host ? `/${u.host}${u.pathname}` : u.pathname);
    if (!path || path === "/") throw new TypeError(`invalid address ${JSON.stringify(url)}: a unix address needs a path, as in unix:///tmp/app.sock`);
    return { scheme, path };
  }
  if (scheme !== "tcp" && scheme !== "tls") {
    // serve() and connect() try every other family's scheme before this one: name them all.
    throw new TypeError(`unsupported transport ${JSON.stringify(scheme)} in ${JSON.stringify(url)}: use tcp://, tls://, unix://, ws://, wss://, http://, https://, pymanager:// or nats:// (clients also take xmlrpc+http://, xmlrpc+https://, jsonrpc+ws:// and jsonrpc+wss://)`);
  }
  const host = u.hostname.startsWith("[") ? u.hostname.slice(1, -1) : u.hostname;
  const port = u.port === "" ? NaN : Number(u.port);
  if (!host) throw new TypeError(`invalid address ${JSON.stringify(url)}: missing host`);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new TypeError(`invalid address ${JSON.stringify(url)}: missing or invalid port`);
  return { scheme, host, port };
}

/** The URL form of an address. */
export function formatAddress(a: StreamAddress): string {
  if (a.scheme === "unix") return `unix://${a.path}`;
  const host = a.host?.includes(":") ? `[${a.host}]` : a.host;
  return `${a.scheme}://${host}:${a.port}`;
}

/** True for loopback hosts, where running without an authkey is a reasonable choice. */
export function isLoopback(a: StreamAddress): boolean {
  if (a.scheme === "unix") return true;
  const h = a.host ?? "";
  return h === "localhost" || h === "::1" || h.startsWith("127.");
}
