/**
 * The contenders: the raw-socket floor, farcall, and two peer frameworks. Each is a server
 * file and a client file that speak the child protocol (child.ts, client-main.ts).
 */
import { fileURLToPath } from "node:url";

export type FrameworkName = "floor" | "farcall" | "grpc" | "jsonrpc-ws";

export interface Framework {
  name: FrameworkName;
  /** How the table names it. */
  label: string;
  server: string;
  client: string;
  /** A peer: one of the frameworks farcall is compared with (not the floor, not farcall). */
  peer: boolean;
}

function file(path: string): string {
  return fileURLToPath(new URL(path, import.meta.url));
}

export const FRAMEWORKS: readonly Framework[] = [
  { name: "floor", label: "floor (raw TCP)", server: file("./floor/server.ts"), client: file("./floor/client.ts"), peer: false },
  { name: "farcall", label: "farcall", server: file("./farcall/server.ts"), client: file("./farcall/client.ts"), peer: false },
  { name: "grpc", label: "@grpc/grpc-js", server: file("./grpc/server.ts"), client: file("./grpc/client.ts"), peer: true },
  { name: "jsonrpc-ws", label: "json-rpc-2.0 + ws", server: file("./jsonrpc-ws/server.ts"), client: file("./jsonrpc-ws/client.ts"), peer: true },
];
