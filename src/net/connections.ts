/**
 * The connections of one server and its graceful close: admission against maxConnections,
 * the sockets to count and to end, the session groups each protocol family keeps (farcall/1
 * peers, raw JSON-RPC sessions, HTTP requests), and what stops accepting. close() runs the
 * same sequence whatever the protocols: stop accepting, drain every group within drainMs,
 * close what is left, wait for the sockets to go.
 */
import { once } from "node:events";
import type { Socket } from "node:net";
import type { Logger } from "../core/logger.js";

/** A family's live sessions on every listener of a server, wound down together. */
export interface SessionGroup {
  /** Takes no new work (sessions added later drain at once); resolves when what is in flight is done. */
  drain(): Promise<void>;
  /** Ends every session still open. */
  close(): void;
}

/** Something that accepts connections or calls: a listener, or a parser fed by one. */
export interface Stoppable {
  /** Stops accepting; a listener that drains its own calls (NATS) gets `drainMs` for them. */
  close(drainMs: number): Promise<void>;
}

/** Longest close() waits for sockets it has ended to report closed. */
const CLOSE_WAIT_MS = 2000;

export class ServerConnections {
  private readonly sockets = new Set<Socket>();
  private readonly groups: SessionGroup[] = [];
  private readonly stoppables: Stoppable[] = [];
  private closed = false;

  constructor(
    private readonly maxConnections: number,
    private readonly logger: Logger,
  ) {}

  /** Connections open now. */
  get count(): number {
    return this.sockets.size;
  }

  /** True once close() has begun. */
  get closing(): boolean {
    return this.closed;
  }

  /** Whether a new raw connection may be taken: not while closing, not past maxConnections. */
  admits(socket: Socket): boolean {
    if (this.closed) return false;
    if (this.sockets.size >= this.maxConnections) {
      this.logger.warn(`refused ${socket.remoteAddress}: ${this.sockets.size} connections reach maxConnections ${this.maxConnections}`);
      return false;
    }
    return true;
  }

  /** Counts `socket` until it closes; close() ends it if nothing else has. */
  track(socket: Socket): void {
    this.sockets.add(socket);
    socket.once("close", () => this.sockets.delete(socket));
  }

  /** A group close() drains, then closes. */
  addGroup(group: SessionGroup): void {
    this.groups.push(group);
  }

  /** Something close() stops first. */
  addStoppable(stoppable: Stoppable): void {
    this.stoppables.push(stoppable);
  }

  /**
   * Stops accepting, drains every group for up to `drainMs`, closes what is left and ends
   * the remaining sockets; resolves once they are gone (or CLOSE_WAIT_MS has passed).
   */
  async close(drainMs: number): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const stopped = Promise.all(this.stoppables.map((s) => s.close(drainMs)));
    const drained = Promise.all(this.groups.map((g) => g.drain()));
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([drained, new Promise<void>((resolve) => (timer = setTimeout(resolve, drainMs)))]);
    clearTimeout(timer);
    for (const group of this.groups) group.close();
    // Sessions end their sockets gracefully; whatever is left (handshakes) goes now.
    for (const socket of this.sockets) if (socket.writableEnded === false) socket.destroy();
    await stopped;
    // Resolve once every connection is gone, so `count` reads 0 afterwards.
    const left = [...this.sockets].map((socket) => (socket.closed ? undefined : once(socket, "close")));
    await Promise.race([Promise.all(left), new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_WAIT_MS)))]);
    clearTimeout(timer);
  }
}
