/**
 * The public functions whose code is imported on their first call, not with farcall: a
 * program that only connects over tcp:// never loads the listeners' families (HTTP, XML,
 * WebSocket, pickle, NATS), and starts faster for it. Both are async already, so loading
 * first changes nothing a caller can see; connect() does the same per URL scheme.
 */
import type { ServeOptions } from "./options.js";
import type { Server } from "./serve.js";
import type { InstanceHealth } from "./nats/service-api.js";

/**
 * Serves `api` (plain functions, nested objects and class instances) on every `listen` URL.
 * @example const server = await serve({ add: (a: number, b: number) => a + b }, { listen: "tcp://0.0.0.0:4343", authkey: "s3cret" })
 */
export async function serve(api: object, options?: ServeOptions): Promise<Server> {
  return (await import("./serve.js")).serve(api, options);
}

/**
 * What every instance of a NATS service says about itself in NATS's Services API
 * (`$SRV.INFO` and `$SRV.STATS`) within `windowMs` (default `nats.healthWindowMs`): instance
 * id, version, host and pid, uptime, calls served, failed and in flight, sessions, methods.
 * @example console.log((await natsInstances(remote)).length, "instances answer")
 */
export async function natsInstances(remote: unknown, windowMs?: number): Promise<InstanceHealth[]> {
  return (await import("./nats/caller.js")).natsInstances(remote, windowMs);
}
