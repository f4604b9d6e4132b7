/**
 * connect()'s dialer for pymanager:// URLs: a client of a Python BaseManager server (or of
 * farcall's own manager listener).
 */
import type { Caller } from "../core/remote.js";
import type { ResolvedConnect } from "../connect-options.js";
import { connectPyManager } from "./client.js";
import { checkPyManagerConnect } from "./one-port-option.js";
import { parsePyManagerUrl, PyManagerCaller } from "./remote.js";

/** A caller of the manager server at `url`; rejects UNAUTHENTICATED for a wrong key. */
export async function pyManagerCaller(url: string, options: ResolvedConnect): Promise<Caller> {
  const client = await connectPyManager(parsePyManagerUrl(url), {
    ...(options.key !== undefined ? { authkey: options.key } : {}),
    maxFrameBytes: options.limits.maxFrameBytes,
    handshakeTimeoutMs: options.connectTimeoutMs,
    ...(options.timeout > 0 ? { callTimeoutMs: options.timeout } : {}),
    ...(options.pymanager === undefined ? {} : checkPyManagerConnect(options.pymanager)),
  });
  return new PyManagerCaller(client);
}
