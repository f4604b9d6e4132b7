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
import { portCaller } from "./worker/port-dial.js";
import type { PortEndpoint } from "./worker/port-link.js";

/** A family's dialer: a Caller for `url`, or a rejection (UNAUTHENTICATED, UNAVAILABLE). */
type Dial = (url: string, options: ResolvedConnect) => Caller | Promise<Caller>;

/**
 * URL schemes and their dialers, tried in order; tcp://, tls:// and unix:// are farcall/1's
 * (the fallback, which names unsupported schemes). A family is imported the first time a URL
 * of its scheme is dialled, so a process pays only for the families it uses (a tcp://
 * client never loads HTTP, XML, WebSocket, NATS or pickle code). The patterns are the
 * families' own isXxxUrl tests, repeated here because importing those would load the family.
 */
const DIALERS: readonly (readonly [scheme: RegExp, load: () => Promise<Dial>])[] = [
  [/^https?:\/\//i, async () => (await import("./jsonrpc/dial.js")).jsonRpcCaller],
  [/^xmlrpc\+https?:\/\//i, async () => (await import("./xmlrpc/dial.js")).xmlRpcCaller],
  [/^pymanager:/i, async () => (await import("./pymanager/dial.js")).pyManagerCaller],
  [/^nats:/i, async () => (await import("./nats/caller.js")).natsCaller],
  [/^wss?:\/\//i, async () => (await import("./farcall/ws-dial.js")).farcallWsCaller],
  [/^jsonrpc\+wss?:\/\//i, async () => (await import("./jsonrpc/ws-client.js")).jsonRpcWsCaller],
];

/** farcall/1 over a stream: tcp://, tls://, unix://, and the error naming every scheme for any other. */
const streamDial = async (): Promise<Dial> => (await import("./farcall/stream-dial.js")).farcallCaller;

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
  const caller = typeof url === "string" ? await dialUrl(url, resolved) : portCaller(url, resolved);
  const outer = resolved.use ? new InterceptingCaller(caller, resolved.use) : caller;
  labelCaller(outer, typeof url === "string" ? withoutCredentials(url) : "worker");
  return makeRemote<T>(outer);
}

/** The Caller of the family `url`'s scheme names, that family loaded first if it was not yet. */
async function dialUrl(url: string, options: ResolvedConnect): Promise<Caller> {
  const load = DIALERS.find(([scheme]) => scheme.test(url))?.[1] ?? streamDial;
  return (await load())(url, options);
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
