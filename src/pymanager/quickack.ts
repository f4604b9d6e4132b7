/**
 * TCP_QUICKACK for the manager listener, when the optional `sockopt` package is installed.
 *
 * Python's manager client writes its `#WELCOME#` verdict and its first request as two
 * small writes without TCP_NODELAY, so Nagle holds the request until the verdict is
 * acknowledged, and Linux delays that acknowledgement by about 40 ms: every connection of
 * a function-style client pays it, against Python's own server too. Linux's TCP_QUICKACK,
 * set again after every read (the kernel clears it), acknowledges at once. Core Node
 * cannot set it; without `sockopt` (an optional dependency whose native build may have
 * failed), or off Linux, nothing is done and only speed differs.
 */
import type { Socket } from "node:net";

/** Linux's IPPROTO_TCP and TCP_QUICKACK (include/uapi/linux/tcp.h). */
const IPPROTO_TCP = 6;
const TCP_QUICKACK = 12;

type SetSockOpt = (socket: Socket, level: number, name: number, value: number) => void;

/** Sets TCP_QUICKACK on a socket; a no-op when unavailable. */
export type QuickAck = (socket: Socket) => void;

/** The quick-ack setter, or why there is none. */
export type QuickAckLoad = { quickAck: QuickAck; missing?: undefined } | { quickAck?: undefined; missing: string };

let loaded: Promise<QuickAckLoad> | undefined;

/**
 * The quick-ack setter, or the reason it is unavailable: not Linux, or `sockopt` not
 * installed (it is an optional dependency: a failed native build leaves it out).
 */
export function loadQuickAck(): Promise<QuickAckLoad> {
  loaded ??= (async (): Promise<QuickAckLoad> => {
    if (process.platform !== "linux") return { missing: `TCP_QUICKACK is Linux-only (this is ${process.platform})` };
    let setsockopt: SetSockOpt | undefined;
    try {
      // A variable specifier keeps TypeScript from requiring the optional package's types.
      const name = "sockopt";
      const mod = (await import(name)) as { setsockopt?: SetSockOpt; default?: { setsockopt?: SetSockOpt } };
      setsockopt = mod.setsockopt ?? mod.default?.setsockopt;
    } catch (error) {
      const why = (error as { code?: string }).code === "ERR_MODULE_NOT_FOUND" ? "not installed" : (error as Error).message.split("\n")[0];
      return { missing: `the optional package sockopt is unavailable (${why})` };
    }
    if (typeof setsockopt !== "function") return { missing: "the installed sockopt has no setsockopt()" };
    const set = setsockopt;
    return {
      quickAck: (socket: Socket) => {
        try {
          set(socket, IPPROTO_TCP, TCP_QUICKACK, 1);
        } catch {
          // The socket closed under us (no file descriptor): there is nothing to acknowledge.
        }
      },
    };
  })();
  return loaded;
}
