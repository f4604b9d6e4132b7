/**
 * A TCP proxy on loopback that a test can cut: every connection through it is reset on both
 * sides at once (as a dropped network path looks to each end, not a clean close by either
 * peer), or stalled (bytes stop, nothing is closed), and it can refuse new connections for a
 * while. Over Unix sockets, which cannot be reset, a cut closes both sides instead: neither
 * peer said goodbye, so to each it is still a drop.
 */
import { createConnection, createServer, type Server, type Socket } from "node:net";

export class CutProxy {
  private readonly pairs = new Set<[Socket, Socket]>();
  private refusing = false;
  /** Connections accepted so far. */
  accepted = 0;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    /** The proxy's own socket file, when it carries a Unix socket. */
    readonly path?: string,
  ) {}

  /**
   * A proxy to `target`: a port on 127.0.0.1 (the proxy listens on 127.0.0.1, port 0), or a
   * Unix socket path (the proxy listens on that path + ".proxy").
   */
  static async start(target: number | string): Promise<CutProxy> {
    let proxy: CutProxy | undefined;
    const server = createServer((inbound) => proxy!.accept(inbound, target));
    if (typeof target === "string") {
      const path = `${target}.proxy`;
      await new Promise<void>((resolve) => server.listen(path, resolve));
      proxy = new CutProxy(server, 0, path);
      return proxy;
    }
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("the proxy has no TCP address");
    proxy = new CutProxy(server, address.port);
    return proxy;
  }

  private accept(inbound: Socket, target: number | string): void {
    if (this.refusing) {
      drop(inbound);
      return;
    }
    this.accepted++;
    const outbound = typeof target === "string" ? createConnection({ path: target }) : createConnection({ host: "127.0.0.1", port: target });
    const pair: [Socket, Socket] = [inbound, outbound];
    this.pairs.add(pair);
    inbound.pipe(outbound);
    outbound.pipe(inbound);
    const end = (): void => {
      this.pairs.delete(pair);
      inbound.destroy();
      outbound.destroy();
    };
    inbound.on("error", end).on("close", end);
    outbound.on("error", end).on("close", end);
  }

  /** Resets every connection through the proxy, both sides. */
  cut(): void {
    for (const [inbound, outbound] of this.pairs) {
      drop(inbound);
      drop(outbound);
    }
    this.pairs.clear();
  }

  /**
   * Stops carrying bytes on every connection through the proxy, both ways, without closing
   * either side: a network path that went dead (a cable pulled, a NAT that forgot the flow),
   * where no FIN or RST ever reaches either end.
   */
  stall(): void {
    for (const [inbound, outbound] of this.pairs) {
      inbound.unpipe(outbound);
      outbound.unpipe(inbound);
      inbound.pause();
      outbound.pause();
    }
  }

  /** Whether new connections are reset at once (true) or forwarded. */
  refuse(refusing: boolean): void {
    this.refusing = refusing;
  }

  /** Connections through the proxy now. */
  get open(): number {
    return this.pairs.size;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Resets a TCP socket; closes a Unix one (which has no reset). */
function drop(socket: Socket): void {
  if (socket.remotePort === undefined && socket.localPort === undefined) socket.destroy();
  else socket.resetAndDestroy();
}
