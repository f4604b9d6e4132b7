/**
 * Graceful shutdown for HTTP connections, which node:http leaves to its owner: counts the
 * requests in flight, answers them with `Connection: close` once closing has begun, ends
 * idle keep-alive connections at once, and says when the last answer has gone out.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { SessionGroup } from "../net/connections.js";
import type { WriteBudget } from "../net/framing.js";
import type { NodeHttpHandler } from "./node.js";

export class HttpDrain implements SessionGroup {
  /** Requests in flight per connection. */
  private readonly busy = new Map<Socket, number>();
  private readonly sockets = new Set<Socket>();
  private inFlight = 0;
  private closing = false;
  private settled: (() => void) | undefined;

  /** @param budget the server's cap on answer bytes queued toward callers, which HTTP answers count against */
  constructor(private readonly budget?: WriteBudget) {}

  /** Follows an HTTP connection until it closes. */
  track(socket: Socket): void {
    this.sockets.add(socket);
    socket.once("close", () => this.sockets.delete(socket));
  }

  /**
   * Stops following a connection that became a WebSocket: its session drains it (GOAWAY),
   * not this group, which would end it at once for having no request in flight.
   */
  release(socket: Socket): void {
    this.sockets.delete(socket);
  }

  /** `handler`, counting each request until its answer is sent or abandoned. */
  wrap(handler: NodeHttpHandler): (req: IncomingMessage, res: ServerResponse) => void {
    return (req, res) => {
      const socket = req.socket;
      this.inFlight++;
      this.busy.set(socket, (this.busy.get(socket) ?? 0) + 1);
      // One module-level listener reaching this group through the response: no closure per request.
      (res as DrainedResponse)[DRAIN] = this;
      res.on("close", onResponseClose);
      if (this.closing) res.setHeader("connection", "close");
      handler(req, res);
    };
  }

  /** Begins closing; resolves when no request is in flight. */
  drain(): Promise<void> {
    this.closing = true;
    for (const socket of this.sockets) if (!this.busy.has(socket)) socket.destroy();
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => (this.settled = resolve));
  }

  /** Ends every connection still open. */
  close(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  /**
   * Counts an answer of `bytes` against the server's write budget until the response is
   * sent or abandoned; says why not (which limit, what is held) when it would pass the cap.
   */
  charge(res: ServerResponse, bytes: number): string | undefined {
    const budget = this.budget;
    if (!budget || bytes === 0) return undefined;
    if (budget.used + bytes > budget.max) return `${budget.used} B already queued for all callers + ${bytes} B exceed ${budget.option} ${budget.max}`;
    budget.used += bytes;
    (res as DrainedResponse)[CHARGED] = bytes;
    return undefined;
  }

  /** A request's answer was sent or abandoned. */
  done(socket: Socket, charged: number): void {
    if (charged > 0 && this.budget) this.budget.used -= charged;
    this.inFlight--;
    const left = (this.busy.get(socket) ?? 1) - 1;
    if (left > 0) this.busy.set(socket, left);
    else this.busy.delete(socket);
    if (this.closing && left === 0 && socket.writableEnded === false) socket.end();
    if (this.closing && this.inFlight === 0) this.settled?.();
  }
}

const DRAIN = Symbol("farcall.drain");
/** The answer bytes a response holds of the write budget. */
const CHARGED = Symbol("farcall.charged");
type DrainedResponse = ServerResponse & { [DRAIN]?: HttpDrain; [CHARGED]?: number };

// 'close' comes once the answer has been handed to the kernel, or the caller left.
function onResponseClose(this: DrainedResponse): void {
  this[DRAIN]?.done(this.req.socket as Socket, this[CHARGED] ?? 0);
}

/** The drain (and so the write budget) of a response, when it came through {@link HttpDrain.wrap}. */
export function drainOf(res: ServerResponse): HttpDrain | undefined {
  return (res as DrainedResponse)[DRAIN];
}
