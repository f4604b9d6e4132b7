/**
* The farcall client process: connect<Api>() to the URL `urlOf` makes of the server's port,
 * and plain method calls on the typed remote. client.ts dials tcp://, ws-client.ts ws://;
 * `options` adds connect() options (resume for the farcall-resume contender).
 */
import { close, connect, type ConnectOptions } from "../../dist/index.js";
import { runClient } from "../client-main.js";
import { promiseDrivers } from "../workloads.js";
import { AUTHKEY, type Api } from "./api.js";

export function runFarcallClient(urlOf: (port: number) => string, options: ConnectOptions = {}): void {
  runClient(async (port) => {
    const remote = await connect<Api>(urlOf(port), { authkey: AUTHKEY, ...options });
    return promiseDrivers({
      add: (a, b) => remote.add(a, b),
      echo: (data) => remote.echo(data),
      get: (key) => remote.counter.get(key),
      inc: (key) => remote.counter.inc(key),
      stream: (n, chunkBytes) => (chunkBytes > 0 ? remote.chunks(n, chunkBytes) : remote.count(n)),
      close: () => close(remote),
    });
  });
}
