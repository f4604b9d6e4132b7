/**
 * connect(): a Remote over the client the URL's scheme names.
 */
import { checkClientInterceptors, InterceptingCaller } from "./core/client-interceptor.js";
import { makeRemote, type Caller, type Remote } from "./core/remote.js";
import { keyBytes } from "./net/hmac.js";
import { checkInteger } from "./core/option-checks.js";
import { CONNECT_DEFAULTS, HTTP_DEFAULTS, resolveLimits, type ConnectOptions } from "./options.js";
import { parseAddress } from "./net/address.js";
import { HttpCaller } from "./jsonrpc/http-client.js";
import { isHttpUrl } from "./http/listener.js";
import { isPyManagerUrl, pyManagerCaller } from "./pymanager/remote.js";
import { isXmlRpcUrl, XmlRpcCaller } from "./xmlrpc/client.js";
import { isNatsUrl } from "./nats/address.js";
import { natsCaller } from "./nats/caller.js";
import { Client } from "./farcall/client.js";

/**
 * Connects to a farcall server and returns its typed remote. An `http://` or `https://` URL
 * calls over JSON-RPC 2.0 POSTs instead (one request per call or per batch(), notifications id-less); an
 * `xmlrpc+http://` or `xmlrpc+https://` URL calls an XML-RPC server (batch() as system.multicall); a
 * `pymanager://` URL calls a Python multiprocessing manager server. Rejects with UNAUTHENTICATED
 * for a wrong key (or a server that cannot prove it holds it) and UNAVAILABLE when the
 * server cannot be reached.
 * @example const remote = await connect<Api>("tcp://10.0.0.5:4343", { authkey: "s3cret" })
 */
export async function connect<T>(url: string, options: ConnectOptions = {}): Promise<Remote<T>> {
  const use = checkClientInterceptors(options.use);
  const remoteOf = <R>(caller: Caller): Remote<R> => makeRemote<R>(use ? new InterceptingCaller(caller, use) : caller);
  if (isHttpUrl(url)) {
    // HTTP is request/response: nothing to dial up front; each call is its own POST.
    const limits = resolveLimits(options, CONNECT_DEFAULTS);
    if (options.tls && !url.toLowerCase().startsWith("https:")) throw new TypeError(`tls options were given but ${url} is not an https:// address`);
    const key = options.authkey !== undefined ? keyBytes(options.authkey) : undefined;
    return remoteOf<T>(new HttpCaller({
      url, key, tls: options.tls,
      timeout: checkInteger("timeout", options.timeout ?? CONNECT_DEFAULTS.timeout, 0),
      maxDepth: limits.maxDepth,
      maxBodyBytes: limits.maxFrameBytes,
    }));
  }
  if (isXmlRpcUrl(url)) {
    const limits = resolveLimits(options, CONNECT_DEFAULTS);
    if (options.tls && !/^xmlrpc\+https:/i.test(url)) throw new TypeError(`tls options were given but ${url} is not an xmlrpc+https:// address`);
    return remoteOf<T>(new XmlRpcCaller({
      url, tls: options.tls,
      key: options.authkey !== undefined ? keyBytes(options.authkey) : undefined,
      timeout: checkInteger("timeout", options.timeout ?? CONNECT_DEFAULTS.timeout, 0),
      maxDepth: limits.maxDepth,
      maxBodyBytes: limits.maxFrameBytes,
      maxElements: HTTP_DEFAULTS.maxXmlElements,
    }));
  }
  if (isPyManagerUrl(url)) {
    // Python's multiprocessing manager protocol: a BaseManager server, or farcall's own.
    const limits = resolveLimits(options, CONNECT_DEFAULTS);
    const timeout = checkInteger("timeout", options.timeout ?? CONNECT_DEFAULTS.timeout, 0);
    const caller = await pyManagerCaller(url, {
      ...(options.authkey !== undefined ? { authkey: keyBytes(options.authkey) } : {}),
      maxFrameBytes: limits.maxFrameBytes,
      handshakeTimeoutMs: checkInteger("connectTimeoutMs", options.connectTimeoutMs ?? CONNECT_DEFAULTS.connectTimeoutMs, 1),
      ...(timeout > 0 ? { callTimeoutMs: timeout } : {}),
    });
    return remoteOf<T>(caller);
  }
  if (isNatsUrl(url)) {
    // A service on NATS: each call is a NATS request answered by whichever instance NATS picks.
    return remoteOf<T>(await natsCaller(url, options));
  }
  const address = parseAddress(url);
  if (options.tls && address.scheme !== "tls") throw new TypeError(`tls options were given but ${url} is not a tls:// address`);
  const client = new Client(url, address, options.tls, options);
  await client.start();
  return remoteOf<T>(client);
}
