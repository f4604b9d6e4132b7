/**
 * Binds the proxies a request carries to this server's referents before the request runs.
 * Python's server rebuilds a proxy of its own objects in place and dials any other token's
 * server with its own authkey; this one never dials: a token naming another server, or an
 * object it does not hold, fails the request as Python reports an unpickling failure (the
 * client raises RemoteError ending in the line returned here), and nothing is stored.
 */
import { hostname, networkInterfaces } from "node:os";
import type { ReferentTable } from "./referents.js";
import type { PyManagerConnection } from "./server.js";
import { PickleTuple } from "./pickle/pickle.js";
import { pyRepr } from "./repr.js";

/** Binds `conn.proxies`; the exception line of the first refusal, or undefined when all bound. */
export function bindProxies(referents: ReferentTable, conn: PyManagerConnection): string | undefined {
  const proxies = conn.proxies!;
  conn.proxies = undefined;
  for (const proxy of proxies) {
    if (!namesThisServer(proxy.address, conn.address)) {
      return `ValueError: the ${proxy.proxyClass} token names another server, at ${addressRepr(proxy.address)}; this server stores proxies of its own objects only`;
    }
    const referent = referents.find(proxy.ident);
    if (referent === undefined) return `KeyError: ${pyRepr(proxy.ident)}`;
    referent.stored = true;
    proxy.referent = referent;
  }
  return undefined;
}

/**
 * The token's address names this listener: the same unix path, or the port the client dialled
 * on this machine, under any of its names. A client handed the token by another that dialled
 * another of the machine's addresses (its LAN address, its host name) names the same server.
 */
export function namesThisServer(address: unknown, dialled: PickleTuple | string): boolean {
  if (typeof dialled === "string") return address === dialled;
  if (!Array.isArray(address) || address.length !== 2) return false;
  const [host, port] = address as unknown[];
  const [ownHost, ownPort] = dialled.items as [string, number];
  if (port !== ownPort || typeof host !== "string") return false;
  if (host === ownHost) return true;
  return isThisMachine(host) && isThisMachine(ownHost);
}

function isThisMachine(host: string): boolean {
  const name = host.toLowerCase().replace(/^::ffff:(?=\d+\.)/, "");
  if (name === "localhost" || name === "::1" || name.startsWith("127.") || name === "0.0.0.0" || name === "::" || name === "") return true;
  if (name === hostname().toLowerCase()) return true;
  // Read each time: interfaces come and go, and only a token naming another host gets here.
  return Object.values(networkInterfaces()).some((addresses) => addresses?.some((a) => a.address.toLowerCase() === name));
}

function addressRepr(address: unknown): string {
  return Array.isArray(address) ? `(${address.map((x) => pyRepr(x)).join(", ")})` : pyRepr(address);
}
