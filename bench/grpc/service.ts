/**
 * Loads bench.proto at run time with @grpc/proto-loader, as most grpc-js services do, and
 * names the message shapes the server and client exchange.
 */
import { fileURLToPath } from "node:url";
import { loadPackageDefinition, type ServiceClientConstructor } from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";

export interface AddRequest {
  a: number;
  b: number;
}
export interface AddReply {
  sum: number;
}
export interface Blob {
  data: Uint8Array;
}
export interface Key {
  key: string;
}
export interface Value {
  value: number;
}
export interface CountRequest {
  n: number;
}
export interface NumberMessage {
  value: number;
}
export interface ChunksRequest {
  n: number;
  bytes: number;
}

/** The W3 payload is 1 MiB each way; grpc-js refuses messages above 4 MiB by default. */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/** The generated client constructor; its `service` is the definition servers implement. */
export function loadBenchService(): ServiceClientConstructor {
  const definition = loadSync(fileURLToPath(new URL("./bench.proto", import.meta.url)), { keepCase: true, defaults: true });
  const pkg = loadPackageDefinition(definition).farcallbench as Record<string, unknown>;
  return pkg.Bench as ServiceClientConstructor;
}
