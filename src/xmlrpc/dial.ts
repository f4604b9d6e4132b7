/**
 * connect()'s dialer for xmlrpc+http:// and xmlrpc+https:// URLs: each call is one POST of a
 * methodCall, batch() one system.multicall. One system.listMethods at connect checks the URL
 * (http/endpoint-check.ts).
 */
import type { Caller } from "../core/remote.js";
import type { ResolvedConnect } from "../connect-options.js";
import { HTTP_DEFAULTS } from "../options.js";
import { httpCallerConfig } from "../http/post.js";
import { checkedCaller } from "../http/endpoint-check.js";
import { XmlRpcCaller } from "./client.js";

/** A caller of the XML-RPC endpoint at `url`, once it answered. */
export function xmlRpcCaller(url: string, options: ResolvedConnect): Promise<Caller> {
  const caller = new XmlRpcCaller({
    ...httpCallerConfig(url, options, /^xmlrpc\+https:/i, "xmlrpc+https://"),
    // What a server may send back is bounded as farcall's own server bounds what it reads.
    maxElements: HTTP_DEFAULTS.maxXmlElements,
  });
  return checkedCaller(caller, caller.checkEndpoint(options.connectTimeoutMs));
}
