/**
 * serve(): one server, many listeners, one Peer per connection, every connection answered
 * by the same method table.
 */
import type { Socket } from "node:net";
import { createMsgpackCodec } from "./codecs/msgpack.js";
import { Dispatcher } from "./core/dispatcher.js";
import { RpcError } from "./core/errors.js";
import { resolveLogger } from "./core/logger.js";
import { describe, type Peer, type PeerLimits } from "./core/peer.js";
import { keyBytes } from "./auth/hmac.js";
import { checkInteger, resolveLimits, SERVE_DEFAULTS, type ServeOptions } from "./options.js";
import { PREAMBLE } from "./protocols/farcall.js";
import { isLoopback, parseAddress } from "./transports/address.js";
import { AllowList } from "./transports/allow-list.js";
import { acceptFarcall, peerInfoOf, type StreamSessionConfig } from "./transports/farcall-stream.js";
import { preambleMatcher, sniff, type SniffEntry } from "./transports/sniff.js";
import { listenStream, type StreamListener } from "./transports/tcp.js";

/** A running server. */
export interface Server {
  /** The bound listen URLs, with real ports (port 0 picks a free one). */
  readonly addresses: string[];
  /** Connections open now, including those still in their handshake. */
  readonly connections: number;
  /**
   * Stops accepting, sends GOAWAY to every session, lets calls in flight finish for up to
   * `drainMs`, then closes every connection. Calls that could not finish see UNAVAILABLE.
   */
  close(options?: { drainMs?: number }): Promise<void>;
}

/** Default time close() lets calls in flight finish. */
const DEFAULT_DRAIN_MS = 5000;

/**
 * Serves `api` (plain functions, nested objects and class instances) on every `listen` URL.
 * @example const server = await serve({ add: (a: number, b: number) => a + b }, { listen: "tcp://0.0.0.0:4343", authkey: "s3cret" })
 */
export async function serve(api: object, options: ServeOptions = {}): Promise<Server> {
  const dispatcher = new Dispatcher(api);
  const logger = resolveLogger(options.logger);
  const limits = resolveLimits(options, SERVE_DEFAULTS);
  const handshakeTimeoutMs = checkInteger("handshakeTimeoutMs", options.handshakeTimeoutMs ?? SERVE_DEFAULTS.handshakeTimeoutMs, 1);
  const maxConnections = checkInteger("maxConnections", options.maxConnections ?? SERVE_DEFAULTS.maxConnections, 1);
  const peerLimits: PeerLimits = {
    maxCallsInFlight: checkInteger("maxCallsInFlight", options.maxCallsInFlight ?? SERVE_DEFAULTS.maxCallsInFlight, 1),
    keepaliveIntervalMs: limits.keepaliveIntervalMs,
    keepaliveTimeoutMs: limits.keepaliveTimeoutMs,
    idleTimeoutMs: checkInteger("idleTimeoutMs", options.idleTimeoutMs ?? SERVE_DEFAULTS.idleTimeoutMs, 0),
  };
  const allowList = options.allow ? new AllowList(options.allow) : undefined;
  const key = options.authkey !== undefined ? keyBytes(options.authkey) : undefined;
  if (key && key.length === 0) throw new RangeError("authkey must not be empty");
  const cfg: StreamSessionConfig = {
    codec: createMsgpackCodec({ maxDepth: limits.maxDepth }),
    key,
    maxFrameBytes: limits.maxFrameBytes,
    maxWriteBufferBytes: limits.maxWriteBufferBytes,
    limits: peerLimits,
    exposeErrorStacks: options.exposeErrorStacks ?? SERVE_DEFAULTS.exposeErrorStacks,
    logger,
    dispatcher,
  };
  const urls = Array.isArray(options.listen) ? options.listen : [options.listen ?? SERVE_DEFAULTS.listen];
  if (urls.length === 0) throw new TypeError("listen must name at least one address");
  const addresses = urls.map(parseAddress);

  const sockets = new Set<Socket>();
  const sessions = new Set<Peer>();
  let closing = false;

  const onSocket = (socket: Socket, transport: string, unixPath: string | undefined): void => {
    sockets.add(socket);
    const where = describe({ transport, address: socket.remoteAddress ?? unixPath ?? "unknown", port: socket.remotePort, authenticated: false });
    let established = false;
    const timer = setTimeout(() => {
      logger.warn(`${where}: closing: no handshake within ${handshakeTimeoutMs} ms (handshakeTimeoutMs)`);
      socket.destroy();
    }, handshakeTimeoutMs);
    socket.on("close", () => {
      clearTimeout(timer);
      sockets.delete(socket);
    });
    socket.on("error", (err) => {
      if (!established) logger.info(`${where}: ${err.message}`);
    });
    const farcall: SniffEntry = {
      name: "farcall/1",
      match: preambleMatcher(PREAMBLE),
      accept(s, head) {
        const { authenticated: _unused, ...info } = peerInfoOf(s, transport, false, unixPath);
        acceptFarcall(
          s,
          head,
          cfg,
          info,
          { onClose: (peer) => sessions.delete(peer) },
          (peer) => {
            established = true;
            clearTimeout(timer);
            if (closing) {
              void peer.drain("the server is shutting down");
            }
            sessions.add(peer);
          },
          (reason) => {
            clearTimeout(timer);
            logger.warn(`${where}: refused: ${reason}`);
          },
        );
      },
    };
    sniff(socket, [farcall], (head) => {
      logger.warn(`${where}: closing: unrecognised protocol (first bytes ${head.subarray(0, 16).toString("hex")})`);
      socket.destroy();
    });
  };

  const listeners: StreamListener[] = [];
  try {
    for (const address of addresses) {
      if (!key && !isLoopback(address)) {
        logger.warn(`listening on ${urls[addresses.indexOf(address)]} without an authkey: anyone who can reach it can call every exposed method`);
      }
      const listener = await listenStream(address, options.tls, handshakeTimeoutMs, {
        admit(socket) {
          if (closing) return false;
          if (sockets.size >= maxConnections) {
            logger.warn(`refused ${socket.remoteAddress}: ${sockets.size} connections reach maxConnections ${maxConnections}`);
            return false;
          }
          if (allowList && address.scheme !== "unix" && !allowList.allows(socket.remoteAddress)) {
            logger.warn(`refused ${socket.remoteAddress}: not in the allow list`);
            return false;
          }
          return true;
        },
        onSocket: (socket) => onSocket(socket, address.scheme, address.path),
        onError: (err) => logger.warn(err.message),
      });
      listeners.push(listener);
    }
  } catch (err) {
    await Promise.all(listeners.map((l) => l.close()));
    throw err;
  }

  return {
    addresses: listeners.map((l) => l.url),
    get connections() {
      return sockets.size;
    },
    async close({ drainMs = DEFAULT_DRAIN_MS } = {}) {
      if (closing) return;
      closing = true;
      const stopped = Promise.all(listeners.map((l) => l.close()));
      const drained = Promise.all([...sessions].map((peer) => peer.drain("the server is shutting down")));
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([drained, new Promise<void>((resolve) => (timer = setTimeout(resolve, drainMs)))]);
      clearTimeout(timer);
      const reason = new RpcError("UNAVAILABLE", "the server closed");
      for (const peer of sessions) peer.close(reason);
      // Sessions end their sockets gracefully; whatever is left (handshakes) goes now.
      for (const socket of sockets) if (socket.writableEnded === false) socket.destroy();
      await stopped;
    },
  };
}
