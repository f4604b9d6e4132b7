/**
 * connect()'s dialer for http:// and https:// URLs: JSON-RPC 2.0 over HTTP POST, each call
 * its own POST. One rpc.discover at connect checks the URL (http/endpoint-check.ts).
 */
import type { Caller } from "../core/remote.js";
import type { ResolvedConnect } from "../connect-options.js";
import { httpCallerConfig } from "../http/post.js";
import { checkedCaller } from "../http/endpoint-check.js";
import { HttpCaller } from "./http-client.js";

/** A caller of the JSON-RPC endpoint at `url`, once it answered. */
export function jsonRpcCaller(url: string, options: ResolvedConnect): Promise<Caller> {
  const caller = new HttpCaller(httpCallerConfig(url, options, /^https:/i, "https://"));
  return checkedCaller(caller, caller.checkEndpoint(options.connectTimeoutMs));
}
