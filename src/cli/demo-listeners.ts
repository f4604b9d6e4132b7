/**
 * Where `farcall serve` (and `npm start`) listens when given neither a module nor --listen:
 * the layout the origin programs expect, so every one of them runs unchanged against it.
 * Python's manager clients speak only after the server, so they cannot share the port with
 * the protocols a listener recognises from their first bytes: they get a port of their own.
 */
import type { ListenEntry } from "../index.js";
import { CliError } from "./cli-error.js";

/** The demo's ports: every protocol that shares a port, then Python's manager protocol. */
export const DEMO_PORTS = Object.freeze({ tcp: 4343, pymanager: 4344 });

/** The key of the manager seeds (`authkey=b"password"`), used when no key is given. */
export const SEED_AUTHKEY = "password";

/**
 * The demo's two listeners, on loopback only (the defaults answer anyone who can connect):
 * - `tcp://127.0.0.1:4343`: farcall/1, JSON-RPC and XML-RPC over HTTP, WebSocket and raw
 *   JSON-RPC; keyless unless `authkey` is given, since the XML-RPC and JSON-RPC seed clients
 *   send no credentials;
 * - `pymanager://127.0.0.1:4344`: the manager seeds, with `authkey` or else the seeds' key.
 */
export function demoListeners(authkey: string | undefined, ports: { tcp: number; pymanager: number } = DEMO_PORTS): ListenEntry[] {
  return [
    authkey === undefined ? { url: `tcp://127.0.0.1:${ports.tcp}` } : { url: `tcp://127.0.0.1:${ports.tcp}`, authkey },
    { url: `pymanager://127.0.0.1:${ports.pymanager}`, authkey: authkey ?? SEED_AUTHKEY },
  ];
}

/** `--demo-ports TCP,PYMANAGER` (0 picks a free port), for tests and a second demo beside the first. */
export function parseDemoPorts(text: string | undefined): { tcp: number; pymanager: number } {
  if (text === undefined) return DEMO_PORTS;
  const parts = text.split(",").map((p) => Number(p.trim()));
  if (parts.length !== 2 || !parts.every((p) => Number.isInteger(p) && p >= 0 && p <= 65535)) {
    throw new CliError(`--demo-ports takes two ports as TCP,PYMANAGER (0 picks a free one), got ${JSON.stringify(text)}`);
  }
  return { tcp: parts[0]!, pymanager: parts[1]! };
}
