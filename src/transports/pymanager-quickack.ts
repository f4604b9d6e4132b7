/**
 * TCP_QUICKACK for the manager listener, when the optional `sockopt` package is installed.
 *
 * Python's manager client writes its `#WELCOME#` verdict and its first request as two
 * small writes without TCP_NODELAY, so Nagle holds the request until the verdict is
 * acknowledged, and Linux delays that acknowledgement by about 40 ms: every connection of
 * a function-style client pays it, against Python's own server too. Linux's TCP_QUICKACK,
 * set again after every read (the kernel clears it), acknowledges at once. Core Node
 * cannot set it; without `sockopt`, or off Linux, nothing is done and only speed differs.
 */
import type { Socket } from "node:net";

/** Linux's IPPROTO_TCP and TCP_QUICKACK (include/uapi/linux/tcp.h). */
const IPPROTO_TCP = 6;
const TCP_QUICKACK = 12;

type SetSockOpt = (socket: Socket, level: number, name: number, value: number) => void;

/** Sets TCP_QUICKACK on a socket; a no-op when unavailable. */
export type QuickAck = (socket: Socket) => void;

let loaded: Promise<QuickAck | undefined> | undefined;

/** The quick-ack setter, or undefined when `sockopt` is not installed or this is not Linux. */
export function loadQuickAck(): Promise<QuickAck | undefined> {
  loaded ??= (async () => {
    if (process.platform !== "linux") return undefined;
    try {
      // A variable specifier keeps TypeScript from requiring the optional package's types.
      const name = "sockopt";
      const mod = (await import(name)) as { setsockopt?: SetSockOpt; default?: { setsockopt?: SetSockOpt } };
      const setsockopt = mod.setsockopt ?? mod.default?.setsockopt;
      if (typeof setsockopt !== "function") return undefined;
      return (socket: Socket) => {
        try {
          setsockopt(socket, IPPROTO_TCP, TCP_QUICKACK, 1);
        } catch {
          // The socket closed under us (no file descriptor): there is nothing to acknowledge.
        }
      };
    } catch {
      return undefined; // not installed: the optional speed-up is simply absent
    }
  })();
  return loaded;
}
