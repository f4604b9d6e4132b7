/**
 * attachWebSocket(): farcall's WebSocket upgrades (farcall/1 and JSON-RPC 2.0) taken on
 * someone else's node:http or node:https server, such as an Express app's, on its own port.
 * The sessions are those of a ws:// listener: same handshake, auth, limits and draining.
 */
import "./runtime-node.js";
import type { IncomingMessage, Server as HttpServer } from "node:http";
import { Server as HttpsServer } from "node:https";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { DEFAULT_DRAIN_MS, serverShared, wsUpgrades } from "./serve-shared.js";
import { resolveServeOptions } from "./serve-options.js";
import type { ServeOptions } from "./options.js";

/** The options of {@link attachWebSocket}: serve()'s, less those about listening. */
export interface AttachWebSocketOptions extends Omit<ServeOptions, "listen" | "tls" | "nats" | "explorer" | "requestTimeoutMs" | "maxXmlElements"> {
  /**
   * Take upgrades at this path only (the query string aside); others are left to the app's
   * own 'upgrade' listeners. @default every path
   */
  path?: string;
}

/** farcall's WebSocket endpoint on an app's server. */
export interface AttachedWebSocket {
  /** farcall's WebSocket connections open now, including those still in their handshake. */
  readonly connections: number;
  /**
   * Stops taking upgrades, sends GOAWAY to every session and lets calls in flight finish for
   * up to `drainMs`, then closes them. The app's server itself keeps running.
   * @default drainMs 5000
   */
  close(options?: { drainMs?: number }): Promise<void>;
}

/** Stands for the app's server in messages and in the listener policy's checks. */
const ATTACHED = "ws://attached";

/**
 * Serves `api` over WebSocket on `server`, an http.Server or https.Server the app already
 * runs (Express: the value `app.listen()` returns). An upgrade at `path` offering the
 * subprotocol `farcall.v1` or `jsonrpc-2.0` is farcall's; one offering neither is answered
 * 400 when the app has no other 'upgrade' listener, and left to the app's otherwise.
 * @example const attached = attachWebSocket(app.listen(8080), api, { authkey: "s3cret" });
 */
export function attachWebSocket(server: HttpServer, api: object, options: AttachWebSocketOptions = {}): AttachedWebSocket {
  const { path, ...serveOptions } = options;
  if (path !== undefined && (typeof path !== "string" || !path.startsWith("/"))) throw new TypeError(`path must start with "/", got ${JSON.stringify(path)}`);
  const shared = serverShared(api, resolveServeOptions({ ...serveOptions, listen: ATTACHED }));
  const { connections } = shared;
  const policy = shared.options.listeners[0]!;
  const upgrades = wsUpgrades(policy, shared.pipelineFor(policy), shared, server instanceof HttpsServer ? "wss" : "ws");
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    if (path !== undefined && pathOf(req.url) !== path) return;
    if (!upgrades.speaksAny(req) && server.listenerCount("upgrade") > 1) return;
    const raw = socket as Socket;
    if (policy.allow && !policy.allow.allows(raw.remoteAddress)) {
      shared.options.logger.warn(`refused ${raw.remoteAddress}: not in the allow list`);
      socket.end("HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    if (!connections.admits(raw)) {
      if (shared.busy.hold(raw)) shared.busy.close1013(req, socket, head);
      else socket.destroy();
      return;
    }
    connections.track(raw);
    upgrades.handle(req, socket, head);
  };
  server.on("upgrade", onUpgrade);
  connections.addStoppable({
    close() {
      server.removeListener("upgrade", onUpgrade);
      return Promise.resolve();
    },
  });
  return {
    get connections() {
      return connections.count;
    },
    close: ({ drainMs = DEFAULT_DRAIN_MS } = {}) => connections.close(drainMs),
  };
}

function pathOf(url: string | undefined): string {
  const u = url ?? "/";
  const q = u.indexOf("?");
  return q === -1 ? u : u.slice(0, q);
}
