/**
 * `nats://` addresses and the subjects farcall uses on NATS.
 *
 * `nats://[user[:pass]@]host[:port][,host[:port]...]/service`: one or more NATS servers (of
 * one cluster) and the service name. A call to `counter.inc` is a request on subject
 * `service.counter.inc`, so a deployment restricts who may call what with NATS subject
 * permissions. Every instance of a service subscribes to `service.>` in queue group
 * `service`, so NATS hands each call to one of them. Instances also answer NATS's Services
 * API (`$SRV.PING`, `$SRV.INFO`, `$SRV.STATS`; see service-api.ts).
 */

/** The scheme of NATS URLs. */
export const NATS_SCHEME = "nats:";

/** NATS's port when a URL names none. */
export const NATS_DEFAULT_PORT = 4222;

/** Reserved targets farcall answers itself (`$` names are never user methods). */
export const NATS_BATCH = "$batch";
export const NATS_IDEMPOTENT = "$idempotent";
/** Opens a session pinned to the instance that answers (see session-host.ts). */
export const NATS_SESSION = "$session";

/** A parsed `nats://` URL. */
export interface NatsAddress {
  /** `nats://host:port` of every server named, without credentials. */
  servers: string[];
  /** The path: a service name (for serve/connect) or a bucket name (for the demo store); "" when absent. */
  name: string;
  /** Credentials from the URL's user part: `user:pass@`, or a lone token `token@`. */
  user?: string;
  pass?: string;
  token?: string;
}

/** True for `nats://` URLs. */
export function isNatsUrl(url: string): boolean {
  return url.toLowerCase().startsWith(NATS_SCHEME);
}

// NATS subject tokens: printable, no whitespace, no wildcards, no separators.
const TOKEN = /^[^\s.*>]+$/;
// Service and bucket names are kept to letters, digits, '-' and '_' per token, so a name is
// also a valid queue group and shows plainly in NATS's monitoring.
const NAME_TOKEN = /^[A-Za-z0-9_-]+$/;

/** Parses `nats://...`; throws TypeError naming what is wrong. */
export function parseNatsUrl(url: string): NatsAddress {
  const bad = (why: string): TypeError => new TypeError(`invalid address ${JSON.stringify(url)}: ${why} (expected nats://host:port/service)`);
  if (!isNatsUrl(url)) throw bad("not a nats:// URL");
  const rest = url.slice(NATS_SCHEME.length + 2);
  const slash = rest.indexOf("/");
  const authority = slash < 0 ? rest : rest.slice(0, slash);
  const name = slash < 0 ? "" : decodeURIComponent(rest.slice(slash + 1)).replace(/\/+$/, "");
  const at = authority.lastIndexOf("@");
  const hosts = at < 0 ? authority : authority.slice(at + 1);
  const out: NatsAddress = { servers: [], name };
  if (at >= 0) {
    const userinfo = authority.slice(0, at);
    const colon = userinfo.indexOf(":");
    if (colon < 0) out.token = decodeURIComponent(userinfo);
    else {
      out.user = decodeURIComponent(userinfo.slice(0, colon));
      out.pass = decodeURIComponent(userinfo.slice(colon + 1));
    }
  }
  for (const hostPort of hosts.split(",")) {
    let u: URL;
    try {
      u = new URL(`nats://${hostPort}`);
    } catch {
      throw bad(`cannot read server ${JSON.stringify(hostPort)}`);
    }
    if (!u.hostname) throw bad("missing host");
    const port = u.port === "" ? NATS_DEFAULT_PORT : Number(u.port);
    out.servers.push(`nats://${u.hostname}:${port}`);
  }
  if (name !== "" && !name.split(".").every((t) => NAME_TOKEN.test(t))) {
    throw bad(`${JSON.stringify(name)} is not a name of letters, digits, '-' and '_' (dots between parts)`);
  }
  return out;
}

/** The service named by a `nats://` URL for serve() and connect(); TypeError when it has none. */
export function natsService(url: string): NatsAddress {
  const address = parseNatsUrl(url);
  if (address.name === "") throw new TypeError(`invalid address ${JSON.stringify(url)}: a nats:// address needs a service name, as in nats://127.0.0.1:4222/orders`);
  return address;
}

/** The subject of a call to `target` of `service`, or undefined when `target` cannot be a subject. */
export function callSubject(service: string, target: string): string | undefined {
  for (const token of target.split(".")) if (!TOKEN.test(token)) return undefined;
  return `${service}.${target}`;
}

/** A URL naming the servers and service, without credentials (for logs and `addresses`). */
export function formatNatsUrl(address: NatsAddress): string {
  return `nats://${address.servers.map((s) => s.slice(NATS_SCHEME.length + 2)).join(",")}/${address.name}`;
}
