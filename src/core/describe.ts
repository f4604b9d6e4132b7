import type { PeerInfo } from "./context.js";

/** A peer as it appears in log lines: "tcp 10.0.0.5:51234", "unix /run/app.sock". */
export function describe(info: PeerInfo): string {
  return info.port !== undefined ? `${info.transport} ${info.address}:${info.port}` : `${info.transport} ${info.address}`;
}
