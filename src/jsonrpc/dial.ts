/**
 * connect()'s dialer for http:// and https:// URLs: JSON-RPC 2.0 over HTTP POST. HTTP is
 * request/response, so nothing is dialled up front; each call is its own POST.
 */
import type { Caller } from "../core/remote.js";
import type { ResolvedConnect } from "../connect-options.js";
import { HttpCaller } from "./http-client.js";

/** A caller of the JSON-RPC endpoint at `url`. */
export function jsonRpcCaller(url: string, options: ResolvedConnect): Caller {
  if (options.tls && !url.toLowerCase().startsWith("https:")) throw new TypeError(`tls options were given but ${url} is not an https:// address`);
  return new HttpCaller({
    url,
    key: options.key,
    tls: options.tls,
    timeout: options.timeout,
    maxDepth: options.limits.maxDepth,
    maxBodyBytes: options.limits.maxFrameBytes,
  });
}
