/**
 * serve(): one server, many listeners, one Peer per connection, every connection answered
 * by the same method table.
 */
import { once } from "node:events";
import { createServer as createHttpServer, type IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import { createJsonCodec } from "./codecs/json-ext.js";
import { createMsgpackCodec } from "./codecs/msgpack.js";
import { Dispatcher } from "./core/dispatcher.js";
import { CallPipeline } from "./core/pipeline.js";
import { RpcError } from "./core/errors.js";
import { resolveLogger } from "./core/logger.js";
import { describe } from "./core/describe.js";
import type { Peer, PeerLimits } from "./core/peer.js";
import { keyBytes } from "./net/hmac.js";
import { checkInteger } from "./core/option-checks.js";
import { HTTP_DEFAULTS, resolveLimits, SERVE_DEFAULTS, type ServeOptions } from "./options.js";
import { PREAMBLE } from "./core/farcall-protocol.js";
import { buildOpenRpcDocument } from "./jsonrpc/openrpc.js";
import { formatAddress, isLoopback, parseAddress } from "./net/address.js";
import { AllowList } from "./net/allow-list.js";
import { acceptFarcall, type StreamSessionConfig } from "./farcall/stream-session.js";
import { peerInfoOf } from "./net/peer-info.js";
import { HttpRpcCore } from "./http/rpc-core.js";
import { httpProtocols } from "./http-handlers.js";
import { HttpDrain } from "./http/drain.js";
import { isHttpUrl, listenHttp, parseHttpAddress, type HttpAddress, type HttpListener } from "./http/listener.js";
import { listenPyManager, type PyManagerListener } from "./pymanager/listener.js";
import { isPyManagerUrl, parsePyManagerUrl } from "./pymanager/remote.js";
import { isNatsUrl } from "./nats/address.js";
import { listenNats, type NatsListener } from "./nats/listener.js";
import { nodeHandler, writeAnswer } from "./http/node.js";
import { matchHttpRequestLine } from "./http/sniff.js";
import { matchJsonValue } from "./jsonrpc/sniff.js";
import { JsonStreamSession, refuseJsonStream, type JsonStreamConfig } from "./jsonrpc/tcp-session.js";
import { refuseClient, requestTimeoutOptions, startRequestTimeouts } from "./http/timeouts.js";
import { preambleMatcher, sniff, type SniffEntry } from "./net/sniff.js";
import { listenStream, type StreamListener } from "./net/tcp.js";

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

/** Longest close() waits for sockets it has ended to report closed. */
const CLOSE_WAIT_MS = 2000;

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
    maxReferences: limits.maxReferences,
  };
  const allowList = options.allow ? new AllowList(options.allow) : undefined;
  const key = options.authkey !== undefined ? keyBytes(options.authkey) : undefined;
  if (key && key.length === 0) throw new RangeError("authkey must not be empty");
  const pipeline = new CallPipeline({ dispatcher, use: options.use, callLog: options.callLog, logger });
  const cfg: StreamSessionConfig = {
    codec: createMsgpackCodec({ maxDepth: limits.maxDepth }),
    key,
    maxFrameBytes: limits.maxFrameBytes,
    maxWriteBufferBytes: limits.maxWriteBufferBytes,
    limits: peerLimits,
    exposeErrorStacks: options.exposeErrorStacks ?? SERVE_DEFAULTS.exposeErrorStacks,
    logger,
    pipeline,
  };
  const urls = Array.isArray(options.listen) ? options.listen : [options.listen ?? SERVE_DEFAULTS.listen];
  if (urls.length === 0) throw new TypeError("listen must name at least one address");
  const addresses = urls.filter((u) => !isHttpUrl(u) && !isPyManagerUrl(u) && !isNatsUrl(u)).map(parseAddress);
  const httpAddresses = urls.filter(isHttpUrl).map(parseHttpAddress);
  const pyAddresses = urls.filter(isPyManagerUrl).map(parsePyManagerUrl);
  const jsonRpcOverTcp = options.jsonRpcOverTcp ?? SERVE_DEFAULTS.jsonRpcOverTcp;
  if (!["auto", "trusted", "off"].includes(jsonRpcOverTcp)) throw new TypeError(`jsonRpcOverTcp must be "auto", "trusted" or "off", got ${String(jsonRpcOverTcp)}`);
  const maxBodyBytes = checkInteger("maxBodyBytes", options.maxBodyBytes ?? SERVE_DEFAULTS.maxBodyBytes, 1);
  const maxBatch = checkInteger("maxBatch", options.maxBatch ?? SERVE_DEFAULTS.maxBatch, 1);
  const maxXmlElements = checkInteger("maxXmlElements", options.maxXmlElements ?? SERVE_DEFAULTS.maxXmlElements, 1);
  const requestTimeoutMs = checkInteger("requestTimeoutMs", options.requestTimeoutMs ?? SERVE_DEFAULTS.requestTimeoutMs, 1);
  if (options.auth !== undefined && typeof options.auth !== "function") throw new TypeError("auth must be a function (token, request) => boolean");
  const discover = () => buildOpenRpcDocument(dispatcher.list(), HTTP_DEFAULTS.openrpc);
  const jsonCfg: JsonStreamConfig = {
    pipeline,
    codec: createJsonCodec({ extended: false, maxDepth: limits.maxDepth }),
    maxBodyBytes,
    maxDepth: limits.maxDepth,
    maxBatch,
    maxInFlight: peerLimits.maxCallsInFlight,
    maxWriteBufferBytes: limits.maxWriteBufferBytes,
    requestTimeoutMs,
    discover,
    logger,
  };
  // One HTTP core for every listener: http:// ones and HTTP sniffed on tcp:// and tls://,
  // answering JSON-RPC and, for Content-Type text/xml, XML-RPC.
  const httpCore = new HttpRpcCore<IncomingMessage>({
    protocols: httpProtocols(pipeline, { maxDepth: limits.maxDepth, maxBatch, maxXmlElements, openrpc: HTTP_DEFAULTS.openrpc }),
    maxBodyBytes, auth: options.auth, key, logger,
  });
  const httpDrain = new HttpDrain();
  const onHttpRequest = httpDrain.wrap(nodeHandler(httpCore));
  // HTTP arriving on a one-port listener: node's parser, fed sockets by the sniff table.
  const sniffedHttp = createHttpServer(requestTimeoutOptions(requestTimeoutMs), (req, res) => {
    clearTimeout(handshakeTimers.get(req.socket));
    onHttpRequest(req, res);
  });
  // It never listens, so node's request-timeout checker must be started by hand.
  startRequestTimeouts(sniffedHttp);
  sniffedHttp.on("clientError", (err: Error, socket: Socket) => {
    clearTimeout(handshakeTimers.get(socket));
    logger.info(`http ${socket.remoteAddress ?? "client"}:${socket.remotePort ?? ""}: closing: ${refuseClient(err, socket, requestTimeoutMs)}`);
  });
  const handshakeTimers = new WeakMap<Socket, ReturnType<typeof setTimeout>>();
  const jsonSessions = new Set<JsonStreamSession>();

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
    handshakeTimers.set(socket, timer);
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
    const http: SniffEntry = {
      name: "http",
      match: matchHttpRequestLine,
      accept(s, head) {
        // The handshake timer runs on until the first request is complete (see sniffedHttp).
        established = true;
        httpDrain.track(s);
        s.unshift(head);
        sniffedHttp.emit("connection", s);
      },
    };
    const json: SniffEntry = {
      name: "jsonrpc",
      match: matchJsonValue,
      accept(s, head) {
        established = true;
        clearTimeout(timer);
        if (jsonRpcOverTcp === "off" || (jsonRpcOverTcp === "auto" && key)) {
          const why = jsonRpcOverTcp === "off" ? "jsonRpcOverTcp is off" : `raw JSON-RPC carries no credentials and this listener has an authkey (serve(api, { jsonRpcOverTcp: "trusted" }) allows it)`;
          logger.warn(`${where}: refused raw JSON-RPC: ${why}`);
          refuseJsonStream(s, jsonCfg.codec, new RpcError("UNAUTHENTICATED", `raw JSON-RPC over TCP is refused here: ${why}`));
          return;
        }
        const info = peerInfoOf(s, transport, false, unixPath);
        const session = new JsonStreamSession(s, jsonCfg, info, where);
        jsonSessions.add(session);
        s.once("close", () => jsonSessions.delete(session));
        if (closing) void session.drain();
        session.start(head);
      },
    };
    sniff(socket, [farcall, http, json], (head) => {
      logger.warn(`${where}: closing: unrecognised protocol (first bytes ${head.subarray(0, 16).toString("hex")})`);
      socket.destroy();
    });
  };

  const listeners: StreamListener[] = [];
  const httpListeners: HttpListener[] = [];
  const pyListeners: PyManagerListener[] = [];
  const natsListeners: NatsListener[] = [];
  const listenHttpAddress = (address: HttpAddress): Promise<HttpListener> =>
    listenHttp(address, options.tls, requestTimeoutMs, {
      admit(socket) {
        if (closing) return false;
        if (sockets.size >= maxConnections) {
          logger.warn(`refused ${socket.remoteAddress}: ${sockets.size} connections reach maxConnections ${maxConnections}`);
          return false;
        }
        sockets.add(socket);
        socket.once("close", () => sockets.delete(socket));
        httpDrain.track(socket);
        return true;
      },
      onRequest(req, res) {
        // Refused per request, not per connection, so the caller learns why (403).
        if (allowList && !allowList.allows(req.socket.remoteAddress)) {
          logger.warn(`refused ${req.socket.remoteAddress}: not in the allow list`);
          writeAnswer(res, httpCore.refusal(403, new RpcError("PERMISSION_DENIED", "this address is not in the allow list")));
          return;
        }
        onHttpRequest(req, res);
      },
      onError: (err) => logger.warn(err.message),
    });
  try {
    for (const address of addresses) {
      if (!key && !isLoopback(address)) {
        logger.warn(`listening on ${formatAddress(address)} without an authkey: anyone who can reach it can call every exposed method`);
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
    for (const address of httpAddresses) httpListeners.push(await listenHttpAddress(address));
    for (const address of pyAddresses) {
      // Python's manager protocol: its server speaks first, so it needs a listener of its own.
      pyListeners.push(
        await listenPyManager(address, pipeline, {
          ...(key ? { authkey: key } : {}),
          logger,
          maxFrameBytes: limits.maxFrameBytes,
          handshakeTimeoutMs,
          ...(peerLimits.idleTimeoutMs > 0 ? { idleTimeoutMs: peerLimits.idleTimeoutMs } : {}),
        }),
      );
    }
    for (const url of urls.filter(isNatsUrl)) {
      // NATS authenticates (the nats option) and its subject permissions authorize; authkey is farcall/1's own.
      if (key) logger.info(`${url}: authkey does not apply to NATS; use NATS credentials (the nats option) and subject permissions`);
      natsListeners.push(
        await listenNats(url, {
          pipeline,
          codec: cfg.codec,
          json: createJsonCodec({ extended: true, maxDepth: limits.maxDepth }),
          maxFrameBytes: limits.maxFrameBytes,
          maxBatch,
          maxCallsInFlight: peerLimits.maxCallsInFlight,
          sessionLimits: peerLimits,
          maxSessions: maxConnections,
          connectTimeoutMs: handshakeTimeoutMs,
          exposeErrorStacks: cfg.exposeErrorStacks,
          logger,
          nats: options.nats,
        }),
      );
    }
  } catch (err) {
    sniffedHttp.close(() => {});
    await Promise.all([...listeners, ...httpListeners, ...pyListeners].map((l) => l.close()));
    await Promise.all(natsListeners.map((l) => l.close(0)));
    throw err;
  }

  return {
    addresses: listenOrder(urls, listeners, httpListeners, pyListeners, natsListeners),
    get connections() {
      return sockets.size + pyListeners.reduce((n, l) => n + l.connections, 0);
    },
    async close({ drainMs = DEFAULT_DRAIN_MS } = {}) {
      if (closing) return;
      closing = true;
      const stopped = Promise.all([...[...listeners, ...httpListeners, ...pyListeners].map((l) => l.close()), ...natsListeners.map((l) => l.close(drainMs))]);
      // Stops its request-timeout checker; it never listened, so the error it reports is expected.
      sniffedHttp.close(() => {});
      const drained = Promise.all([
        ...[...sessions].map((peer) => peer.drain("the server is shutting down")),
        ...[...jsonSessions].map((session) => session.drain()),
        httpDrain.drain(),
      ]);
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([drained, new Promise<void>((resolve) => (timer = setTimeout(resolve, drainMs)))]);
      clearTimeout(timer);
      const reason = new RpcError("UNAVAILABLE", "the server closed");
      for (const peer of sessions) peer.close(reason);
      httpDrain.destroyAll();
      for (const session of jsonSessions) session.close();
      // Sessions end their sockets gracefully; whatever is left (handshakes) goes now.
      for (const socket of sockets) if (socket.writableEnded === false) socket.destroy();
      await stopped;
      // Resolve once every connection is gone, so `connections` reads 0 afterwards.
      const left = [...sockets].map((socket) => (socket.closed ? undefined : once(socket, "close")));
      await Promise.race([Promise.all(left), new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_WAIT_MS)))]);
      clearTimeout(timer);
    },
  };
}

/** The bound URLs in the order of `listen`, whatever the kind of each listener. */
function listenOrder(urls: readonly string[], streams: readonly { url: string }[], https: readonly { url: string }[], pys: readonly { url: string }[], nats: readonly { url: string }[]): string[] {
  let s = 0;
  let h = 0;
  let p = 0;
  let n = 0;
  return urls.map((u) => (isHttpUrl(u) ? https[h++]! : isPyManagerUrl(u) ? pys[p++]! : isNatsUrl(u) ? nats[n++]! : streams[s++]!).url);
}
