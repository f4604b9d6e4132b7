/**
 * connect(): a table from URL scheme to a family's dialer. The options are resolved and
 * checked once, here; the dialer makes a Caller, and the Remote is built over it (through
 * the client interceptors, when there are any).
 */
import "./runtime-node.js";
import { InterceptingCaller } from "./core/client-interceptor.js";
import { labelCaller, makeRemote, type Caller, type Remote } from "./core/remote.js";
import type { ConnectOptions } from "./options.js";
import { resolveConnectOptions, type ResolvedConnect } from "./connect-options.js";
import { isHttpUrl } from "./http/listener.js";
import { farcallCaller } from "./farcall/stream-dial.js";
import { farcallWsCaller } from "./farcall/ws-dial.js";
import { isWsUrl } from "./ws/dial.js";
import { portCaller } from "./worker/port-dial.js";
import type { PortEndpoint } from "./worker/port-link.js";
import { jsonRpcCaller } from "./jsonrpc/dial.js";
import { isJsonRpcWsUrl, jsonRpcWsCaller } from "./jsonrpc/ws-client.js";
import { isXmlRpcUrl } from "./xmlrpc/client.js";
import { xmlRpcCaller } from "./xmlrpc/dial.js";
import { isPyManagerUrl } from "./pymanager/remote.js";
import { pyManagerCaller } from "./pymanager/dial.js";
import { isNatsUrl } from "./nats/address.js";
import { natsCaller } from "./nats/caller.js";

/** A family's dialer: a Caller for `url`, or a rejection (UNAUTHENTICATED, UNAVAILABLE). */
type Dial = (url: string, options: ResolvedConnect) => Caller | Promise<Caller>;

/** URL schemes and their dialers, tried in order; tcp://, tls:// and unix:// are farcall/1's (the fallback, which names unsupported schemes). */
const DIALERS: readonly (readonly [matches: (url: string) => boolean, dial: Dial])[] = [
  [isHttpUrl, jsonRpcCaller],
  [isXmlRpcUrl, xmlRpcCaller],
  [isPyManagerUrl, pyManagerCaller],
  [isNatsUrl, natsCaller],
  [isWsUrl, farcallWsCaller],
  [isJsonRpcWsUrl, jsonRpcWsCaller],
];

/**
 * Connects to a farcall server and returns its typed remote. An `http://` or `https://` URL
 * calls over JSON-RPC 2.0 POSTs instead (one request per call or per batch(), notifications id-less); an
 * `xmlrpc+http://` or `xmlrpc+https://` URL calls an XML-RPC server (batch() as system.multicall); a
 * `pymanager://` URL calls a Python multiprocessing manager server; a `nats://` URL a
 * service on NATS; a `ws://` or `wss://` URL speaks farcall/1 over a WebSocket (subprotocol
 * `farcall.v1`), reconnecting like tcp://; a `jsonrpc+ws://` or `jsonrpc+wss://` URL calls
 * JSON-RPC 2.0 over a WebSocket (subprotocol `jsonrpc-2.0`), any such server's. A Worker, MessagePort or Web Worker instead of a
 * URL calls what the other side serves with servePort(). Rejects with UNAUTHENTICATED for a wrong key (or a server that cannot
 * prove it holds it) and UNAVAILABLE when the server cannot be reached.
 * @example const remote = await connect<Api>("tcp://10.0.0.5:4343", { authkey: "s3cret" })
 */
export async function connect<T>(url: string | PortEndpoint, options: ConnectOptions = {}): Promise<Remote<T>> {
  const resolved = resolveConnectOptions(options);
  const caller = typeof url === "string" ? await (DIALERS.find(([matches]) => matches(url))?.[1] ?? farcallCaller)(url, resolved) : portCaller(url, resolved);
  const outer = resolved.use ? new InterceptingCaller(caller, resolved.use) : caller;
  labelCaller(outer, typeof url === "string" ? withoutCredentials(url) : "worker");
  return makeRemote<T>(outer);
}

/** `url` with any user name and password taken out, for printing. */
function withoutCredentials(url: string): string {
  try {
    const u = new URL(url);
    if (u.username === "" && u.password === "") return url;
    u.username = "";
    u.password = "";
    return u.toString();
  } catch {
    return url; // a string the URL parser refuses has no credentials to take out
  }
}
