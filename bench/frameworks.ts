/**
 * The contenders: the raw-socket floor, farcall, and the peer frameworks. Each is a server
 * file and a client file that speak the child protocol (child.ts, client-main.ts; the
 * Python files speak it too).
 */
import { fileURLToPath } from "node:url";
import { isStreamWorkload, type WorkloadName } from "./jobs.js";

export type FrameworkName = "floor" | "farcall" | "farcall-ws" | "farcall-resume" | "capnweb" | "grpc" | "jsonrpc-ws" | "http-floor" | "farcall-http" | "jayson-http" | "python-manager" | "python-farcall" | "python-farcall-warm";

export interface Framework {
  name: FrameworkName;
  /** How the table names it. */
  label: string;
  server: string;
  client: string;
  /** A peer: one of the frameworks farcall is compared with (not the floor, not farcall). */
  peer: boolean;
  /** The contender its "x floor" ratios are against. @default "floor" (raw TCP) */
  floor?: FrameworkName;
  /** Its client implements the W5 server streams. @default false */
  streams?: boolean;
  /** The only workloads it takes part in. @default every workload it can run */
  only?: readonly WorkloadName[];
  /** Runs only when named in --frameworks, not by default. @default false */
  optIn?: boolean;
  /** Environment its server process gets on top of the bench's. */
  serverEnv?: Readonly<Record<string, string>>;
}

function file(path: string): string {
  return fileURLToPath(new URL(path, import.meta.url));
}

export const FRAMEWORKS: readonly Framework[] = [
  { name: "floor", label: "floor (raw TCP)", server: file("./floor/server.ts"), client: file("./floor/client.ts"), peer: false, streams: true },
  { name: "farcall", label: "farcall", server: file("./farcall/server.ts"), client: file("./farcall/client.ts"), peer: false, streams: true },
  // The same server as farcall, dialled as ws:// on its one port.
  { name: "farcall-ws", label: "farcall ws://", server: file("./farcall/server.ts"), client: file("./farcall/ws-client.ts"), peer: false, streams: true },
  { name: "capnweb", label: "capnweb + ws", server: file("./capnweb/server.ts"), client: file("./capnweb/client.ts"), peer: true },
  // The same with session resumption on both sides: every message kept until acknowledged.
  { name: "farcall-resume", label: "farcall, resume on", server: file("./farcall/resume-server.ts"), client: file("./farcall/resume-client.ts"), peer: false, streams: true, optIn: true },
  { name: "grpc", label: "@grpc/grpc-js", server: file("./grpc/server.ts"), client: file("./grpc/client.ts"), peer: true, streams: true },
  { name: "jsonrpc-ws", label: "json-rpc-2.0 + ws", server: file("./jsonrpc-ws/server.ts"), client: file("./jsonrpc-ws/client.ts"), peer: true },
  // JSON-RPC over HTTP is measured against its own floor, a bare node:http handler.
  { name: "http-floor", label: "HTTP floor (bare node:http)", server: file("./jsonrpc-http/floor-server.ts"), client: file("./jsonrpc-http/client.ts"), peer: false },
  { name: "farcall-http", label: "farcall JSON-RPC/HTTP", server: file("./jsonrpc-http/farcall-server.ts"), client: file("./jsonrpc-http/client.ts"), peer: false, floor: "http-floor" },
  { name: "jayson-http", label: "jayson (HTTP)", server: file("./jsonrpc-http/jayson-server.ts"), client: file("./jsonrpc-http/client.ts"), peer: false, floor: "http-floor" },
  // Python's own manager on the seed's own workload: W4 only, in python3 (processes.ts).
  { name: "python-manager", label: "Python BaseManager (proxy)", server: file("./python-manager/server.py"), client: file("./python-manager/client.py"), peer: true, only: ["w4"] },
  // The same Python clients against farcall's server on pymanager://: the seed programs' own side by side.
  { name: "python-farcall", label: "farcall pymanager:// (Python clients)", server: file("./python-manager/farcall-server.ts"), client: file("./python-manager/client.py"), peer: false, only: ["w4"] },
  // The same after one Python client made 5,000 get+inc pairs on a key of its own: the server's
  // code compiled by V8 before the clock starts, as W1-W3 measure after a warm-up.
  { name: "python-farcall-warm", label: "farcall pymanager://, warmed (Python clients)", server: file("./python-manager/farcall-server.ts"), client: file("./python-manager/client.py"), peer: false, only: ["w4"], serverEnv: { BENCH_WARM_PAIRS: "5000" } },
];

/** The contender whose figures `name`'s ratios are against. */
export function floorOf(name: FrameworkName): FrameworkName {
  return FRAMEWORKS.find((f) => f.name === name)?.floor ?? "floor";
}

/** Whether `framework` takes part in `workload`: most do W1-W4, only some stream. */
export function supports(framework: Framework, workload: WorkloadName): boolean {
  if (framework.only) return framework.only.includes(workload);
  return !isStreamWorkload(workload) || framework.streams === true;
}
