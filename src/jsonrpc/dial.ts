/**
 * connect()'s dialer for http:// and https:// URLs: JSON-RPC 2.0 over HTTP POST. HTTP is
 * request/response, so nothing is dialled up front; each call is its own POST.
 */
import type { Caller } from "../core/remote.js";
import type { ResolvedConnect } from "../connect-options.js";
import { httpCallerConfig } from "../http/post.js";
import { HttpCaller } from "./http-client.js";

/** A caller of the JSON-RPC endpoint at `url`. */
export function jsonRpcCaller(url: string, options: ResolvedConnect): Caller {
  return new HttpCaller(httpCallerConfig(url, options, /^https:/i, "https://"));
}
