/**
 * serve(): a table from URL scheme to a family's listener, over what the listeners of one
 * server share (serve-shared.ts): the method table, one call pipeline (derived for a listener
 * that has interceptors of its own), the connections to count, drain and close. The options
 * are resolved once, and every URL is checked before anything listens. No protocol logic
 * lives here: the families bring it.
 */
import "./runtime-node.js";
import type { IncomingMessage } from "node:http";
import { createJsonCodec } from "./codecs/json-ext.js";
import type { CallPipeline } from "./core/pipeline.js";
import { formatAddress, isLoopback, parseAddress } from "./net/address.js";
import type { Stoppable } from "./net/connections.js";
import { listenOnePort } from "./net/one-port.js";
import { httpEntry, listenHttpUrl } from "./http/listen.js";
import { isHttpUrl, parseHttpAddress } from "./http/listener.js";
import { HttpRpcCore } from "./http/rpc-core.js";
import { explorerPage } from "./http/explorer.js";
import { httpProtocols } from "./http-handlers.js";
import { farcallEntry } from "./farcall/listen.js";
import { isWsUrl, listenWs, parseWsListenAddress } from "./ws/listen.js";
import { jsonRpcEntry } from "./jsonrpc/listen.js";
// The manager and NATS listeners are imported when a URL or option asks for them: about 1 MB
// of old generation that a tcp:// server otherwise carries, enough to keep a small server
// over V8's 8 MB threshold for incremental marking (README, Performance, W3).
import type { PyManagerEntrySettings } from "./pymanager/one-port-entry.js";
import type { PyManagerOnPort } from "./pymanager/one-port-option.js";
import { isPyManagerUrl, parsePyManagerUrl } from "./pymanager/remote.js";
import { isNatsUrl, natsService } from "./nats/address.js";
import { HTTP_DEFAULTS, type ServeOptions } from "./options.js";
import type { ServerStats } from "./core/server-stats.js";
import { resolveServeOptions, type ListenerPolicy, type ListenOption, type ResolvedServe } from "./serve-options.js";
import { DEFAULT_DRAIN_MS, farcallConfig, hostCheckOf, jsonAccess, jsonSettings, serverShared, wsUpgrades, type Shared } from "./serve-shared.js";

/** A running server. */
export interface Server {
  /** The bound listen URLs, in the order of `listen`, with real ports (port 0 picks a free one). */
  readonly addresses: string[];
  /** Connections open now, including those still in their handshake. */
  readonly connections: number;
  /** What the server holds open now, for monitoring (`farcall/otel`'s `observeServer`). */
  stats(): ServerStats;
  /**
   * Stops accepting, sends GOAWAY to every session, lets calls in flight finish for up to
   * `drainMs`, then closes every connection. Calls that could not finish see UNAVAILABLE.
   */
  close(options?: { drainMs?: number }): Promise<void>;
}

/** A listener as the server holds it. */
interface Listener extends Stoppable {
  /** The bound URL, with the real port. */
  readonly url: string;
  /** Connections it counts itself, for a listener whose sockets the server does not track (pymanager). */
  readonly connections?: number;
}

/** A family's row: it checks a listener's URL and options now, and returns how to start it. */
type ListenRow = (policy: ListenerPolicy, shared: Shared) => () => Promise<Listener>;

/**
 * tcp://, tls:// and unix://: farcall/1, HTTP (JSON-RPC, XML-RPC) and raw JSON-RPC on one
 * port, each with this listener's key, auth and pipeline.
 */
const onePort: ListenRow = (policy, shared) => {
  const address = parseAddress(policy.url);
  const takes: ListenOption[] = ["authkey", "auth", "use", "jsonRpcOverTcp"];
  if (address.scheme !== "unix") takes.push("allow");
  if (address.scheme === "tls") takes.push("tls");
  // Python's manager protocol has no TLS, so only plain listeners can answer it.
  else takes.push("pymanager");
  only(policy, takes, `a ${address.scheme}:// listener`);
  if (policy.pymanager !== undefined && policy.pymanager.silenceMs === undefined) {
    throw new TypeError(`${policy.name}: pymanager on a ${address.scheme}:// listener needs silenceMs (how long a connection stays silent before it is taken for a Python manager client)`);
  }
  return async () => {
    const { options: o, connections } = shared;
    const pipeline = shared.pipelineFor(policy);
    if (!policy.key && !isLoopback(address)) {
      o.logger.warn(`listening on ${formatAddress(address)} without an authkey: anyone who can reach it can call every exposed method`);
    }
    const upgrades = wsUpgrades(policy, pipeline, shared, address.scheme === "tls" ? "wss" : "ws");
    const http = httpEntry({ core: httpCore(policy, pipeline, o), drain: shared.http, requestTimeoutMs: o.requestTimeoutMs, logger: o.logger, upgrade: upgrades.handle });
    connections.addStoppable(http.parser);
    const farcall = farcallEntry(farcallConfig(policy, pipeline, shared), shared.farcall);
    const json = jsonRpcEntry(jsonSettings(pipeline, shared), jsonAccess(policy), shared.json);
    const config = { tls: policy.tls, handshakeTimeoutMs: o.handshakeTimeoutMs, allow: policy.allow, connections, logger: o.logger, busy: shared.busy };
    const entries = [farcall, http.entry, json];
    if (policy.pymanager) entries.push(await (await import("./pymanager/one-port-entry.js")).pyManagerEntry(pipeline, pyManagerSettings(policy, policy.pymanager, o, address.scheme, address.path)));
    return listenOnePort(address, config, entries);
  };
};

/** http:// and https://: JSON-RPC and XML-RPC at the URL's path, and WebSocket upgrades. */
const http: ListenRow = (policy, shared) => {
  const address = parseHttpAddress(policy.url);
  const takes: ListenOption[] = ["authkey", "auth", "allow", "use", "jsonRpcOverTcp"];
  if (address.scheme === "https") takes.push("tls");
  only(policy, takes, `an ${address.scheme}:// listener`);
  return () => {
    const { options: o } = shared;
    const pipeline = shared.pipelineFor(policy);
    const upgrades = wsUpgrades(policy, pipeline, shared, address.scheme === "https" ? "wss" : "ws");
    return listenHttpUrl(address, {
      upgrade: upgrades.handle,
      core: httpCore(policy, pipeline, o),
      drain: shared.http,
      requestTimeoutMs: o.requestTimeoutMs,
      logger: o.logger,
      tls: policy.tls,
      allow: policy.allow,
      connections: shared.connections,
      busy: shared.busy,
    });
  };
};

/** ws:// and wss://: WebSocket upgrades alone; a plain HTTP request is answered 426. */
const ws: ListenRow = (policy, shared) => {
  const address = parseWsListenAddress(policy.url);
  const takes: ListenOption[] = ["authkey", "allow", "use", "jsonRpcOverTcp"];
  if (address.scheme === "https") takes.push("tls");
  only(policy, takes, `a ${address.scheme === "https" ? "wss" : "ws"}:// listener`);
  return async () => {
    const { options: o } = shared;
    const upgrades = wsUpgrades(policy, shared.pipelineFor(policy), shared, address.scheme === "https" ? "wss" : "ws");
    const listener = await listenWs(address, upgrades, {
      tls: policy.tls,
      allow: policy.allow,
      connections: shared.connections,
      requestTimeoutMs: o.requestTimeoutMs,
      logger: o.logger,
      busy: shared.busy,
    });
    return listener;
  };
};

/** What a one-port listener's manager entry takes from its policy. */
function pyManagerSettings(policy: ListenerPolicy, on: PyManagerOnPort, o: ResolvedServe, transport: string, unixPath: string | undefined): PyManagerEntrySettings {
  return {
    silenceMs: on.silenceMs!,
    classes: on.classes,
    authkey: policy.key,
    logger: o.logger,
    maxFrameBytes: o.limits.maxFrameBytes,
    handshakeTimeoutMs: o.handshakeTimeoutMs,
    idleTimeoutMs: o.peerLimits.idleTimeoutMs > 0 ? o.peerLimits.idleTimeoutMs : undefined,
    transport,
    unixPath,
  };
}

/** pymanager://: Python's manager protocol on a port of its own (a tcp:// listener answers it too with the `pymanager` option). */
const pymanager: ListenRow = (policy, shared) => {
  const address = parsePyManagerUrl(policy.url);
  only(policy, ["authkey", "allow", "use", "pymanager"], "a pymanager:// listener");
  if (policy.pymanager?.silenceMs !== undefined) throw new TypeError(`${policy.name}: pymanager.silenceMs has no meaning on a pymanager:// listener (every client there is a Python manager client); it takes classes`);
  return async () => {
    const { options: o } = shared;
    const { listenPyManager } = await import("./pymanager/listener.js");
    return listenPyManager(address, shared.pipelineFor(policy), {
      ...(policy.key ? { authkey: policy.key } : {}),
      ...(policy.allow ? { allow: policy.allow } : {}),
      ...(policy.pymanager?.classes ? { classes: policy.pymanager.classes } : {}),
      logger: o.logger,
      maxFrameBytes: o.limits.maxFrameBytes,
      handshakeTimeoutMs: o.handshakeTimeoutMs,
      ...(o.peerLimits.idleTimeoutMs > 0 ? { idleTimeoutMs: o.peerLimits.idleTimeoutMs } : {}),
    });
  };
};

/** nats://: one instance of a service on NATS. */
const nats: ListenRow = (policy, shared) => {
  natsService(policy.url);
  only(policy, ["use"], "a nats:// listener (NATS authenticates with the nats option and authorizes with subject permissions)");
  return async () => {
    const { options: o } = shared;
    const { listenNats } = await import("./nats/listener.js");
    // NATS authenticates (the nats option) and its subject permissions authorize; authkey is farcall/1's own.
    if (policy.key) o.logger.info(`${policy.url}: authkey does not apply to NATS; use NATS credentials (the nats option) and subject permissions`);
    return listenNats(policy.url, {
      pipeline: shared.pipelineFor(policy),
      codec: shared.msgpack,
      json: createJsonCodec({ extended: true, maxDepth: o.limits.maxDepth }),
      maxFrameBytes: o.limits.maxFrameBytes,
      maxBatch: o.maxBatch,
      maxCallsInFlight: o.peerLimits.maxCallsInFlight,
      sessionLimits: o.peerLimits,
      maxSessions: o.maxConnections,
      connectTimeoutMs: o.handshakeTimeoutMs,
      exposeErrorStacks: o.exposeErrorStacks,
      logger: o.logger,
      nats: o.nats,
    });
  };
};

/** URL schemes and their rows, tried in order; the one-port row takes the rest and names unsupported schemes. */
const LISTEN_TABLE: readonly (readonly [matches: (url: string) => boolean, row: ListenRow])[] = [
  [isHttpUrl, http],
  [isWsUrl, ws],
  [isPyManagerUrl, pymanager],
  [isNatsUrl, nats],
];

/**
 * Serves `api` (plain functions, nested objects and class instances) on every `listen` URL.
 * @example const server = await serve({ add: (a: number, b: number) => a + b }, { listen: "tcp://0.0.0.0:4343", authkey: "s3cret" })
 */
export async function serve(api: object, options: ServeOptions = {}): Promise<Server> {
  const shared = serverShared(api, resolveServeOptions(options));
  const { options: resolved, connections } = shared;
  const starts = resolved.listeners.map((policy) => (LISTEN_TABLE.find(([matches]) => matches(policy.url))?.[1] ?? onePort)(policy, shared));
  const listeners: Listener[] = [];
  try {
    for (const start of starts) {
      const listener = await start();
      listeners.push(listener);
      connections.addStoppable(listener);
    }
  } catch (err) {
    await connections.close(0);
    throw err;
  }
  const connectionCount = (): number => connections.count + listeners.reduce((n, l) => n + (l.connections ?? 0), 0);
  return {
    addresses: listeners.map((l) => l.url),
    get connections() {
      return connectionCount();
    },
    stats: () => ({ connections: connectionCount(), ...shared.farcall.load(), readBufferBytes: shared.readBudget.used }),
    close: ({ drainMs = DEFAULT_DRAIN_MS } = {}) => connections.close(drainMs),
  };
}

/** The HTTP core of one listener: JSON-RPC and XML-RPC, with the listener's key and auth. */
function httpCore(policy: ListenerPolicy, pipeline: CallPipeline, o: ResolvedServe): HttpRpcCore<IncomingMessage> {
  return new HttpRpcCore<IncomingMessage>({
    protocols: httpProtocols(pipeline, { maxDepth: o.limits.maxDepth, maxBatch: o.maxBatch, maxXmlElements: o.maxXmlElements, openrpc: HTTP_DEFAULTS.openrpc }),
    maxBodyBytes: o.maxBodyBytes,
    auth: policy.auth,
    key: policy.key,
    logger: o.logger,
    page: o.explorer ? EXPLORER : undefined,
    host: hostCheckOf(policy, o),
  });
}

/** Built once: the page is the same for every server. */
const EXPLORER = explorerPage();

/** Refuses a listener that sets, for itself, an option its family has no use for. */
function only(policy: ListenerPolicy, takes: readonly ListenOption[], what: string): void {
  const stray = policy.own.find((option) => !takes.includes(option));
  if (stray !== undefined) throw new TypeError(`${policy.name}: ${stray} has no meaning on ${what}; it takes ${takes.join(", ")}`);
}
