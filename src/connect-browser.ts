/**
 * connect() of the browser build: farcall/1 over the runtime's WebSocket, the only
 * transport a page has that can carry callbacks and streams both ways. Same options, same
 * Remote<T>, same client interceptors as on Node.
 */
import { InterceptingCaller } from "./core/client-interceptor.js";
import { labelCaller, makeRemote, type Remote } from "./core/remote.js";
import type { ConnectOptions } from "./options.js";
import { resolveConnectOptions } from "./connect-options.js";
import { farcallBrowserCaller } from "./farcall/browser-dial.js";
import { portCaller } from "./worker/port-dial.js";
import type { PortEndpoint } from "./worker/port-link.js";

/**
 * Connects to a farcall server over `ws://` or `wss://` (any `tcp://`, `http://` or `ws://`
 * listener's port), or to what a Web Worker or MessagePort serves with servePort(), and
 * returns its typed remote. Rejects with UNAUTHENTICATED for a wrong key
 * and UNAVAILABLE when the server cannot be reached.
 * @example const remote = await connect<Api>("ws://localhost:4343/", { authkey: "s3cret" })
 */
export async function connect<T>(url: string | PortEndpoint, options: ConnectOptions = {}): Promise<Remote<T>> {
  const resolved = resolveConnectOptions(options);
  const caller = typeof url === "string" ? await farcallBrowserCaller(url, resolved) : portCaller(url, resolved);
  const outer = resolved.use ? new InterceptingCaller(caller, resolved.use) : caller;
  labelCaller(outer, typeof url === "string" ? url : "worker");
  return makeRemote<T>(outer);
}
