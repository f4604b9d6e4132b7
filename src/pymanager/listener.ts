/**
 * A listener for Python's `multiprocessing.managers` clients (`pymanager://host:port`): its
 * own port, since in this protocol the server speaks first and a shared listener could
 * never sniff the client. Unchanged `BaseManager(...).connect()` clients call the exposed
 * functions and objects of a Dispatcher.
 *
 * @example
 * const listener = await listenPyManager({ scheme: "tcp", host: "127.0.0.1", port: 50000 }, new Dispatcher(api),
 *   { authkey: Buffer.from("password"), logger: consoleLogger });
 */
import type { Socket } from "node:net";
import { pickleTuple, type PickleTuple } from "./pickle/pickle.js";
import type { PeerInfo } from "../core/context.js";
import type { CallPipeline } from "../core/pipeline.js";
import type { Logger } from "../core/logger.js";
import { PyManagerService } from "./server.js";
import type { StreamAddress } from "../net/address.js";
import type { AllowList } from "../net/allow-list.js";
import { PyManagerSocket, type PyConnectionLimits } from "./connection.js";
import { loadQuickAck } from "./quickack.js";
import { requestDecoding } from "./request-globals.js";
import { listenStream } from "../net/tcp.js";

/** Options of {@link listenPyManager}. */
export interface PyManagerListenOptions {
  /** The shared secret; Python's `authkey=b""` is the empty key, and the handshake still runs. @default empty */
  authkey?: Uint8Array;
  logger: Logger;
  /** Largest request frame accepted, checked before its body is kept. @default 8388608 */
  maxFrameBytes?: number;
  /** Time a client has to finish the mutual challenge. @default 10000 */
  handshakeTimeoutMs?: number;
  /** A connection silent this long (and not awaiting a reply) is closed. @default 300000 */
  idleTimeoutMs?: number;
  /** Most objects held for clients at once. @default 100000 */
  maxReferents?: number;
  /** Client addresses allowed to connect; others are refused before a byte is read. @default everyone */
  allow?: AllowList;
  /** Obey a client's `shutdown`: the listener closes itself. @default false */
  allowShutdown?: boolean;
  /**
   * Set TCP_QUICKACK after every read when the optional `sockopt` package is installed
   * (Linux), removing a ~40 ms stall per Python client connection. @default true
   */
  quickAck?: boolean;
  /**
   * A program's own Python classes whose instances clients may store, as `"module.Name"`
   * (checked by serve()'s `pymanager: { classes }` option). @default []
   */
  classes?: readonly string[];
}

/** Defaults of {@link PyManagerListenOptions}. */
export const PYMANAGER_LISTEN_DEFAULTS = Object.freeze({
  maxFrameBytes: 8 * 1024 * 1024,
  handshakeTimeoutMs: 10_000,
  // Python's function-style client keeps its stream open while it holds any proxy, idle in between.
  idleTimeoutMs: 300_000,
});

/** A running manager listener. */
export interface PyManagerListener {
  /** `pymanager://host:port`, with the real port when 0 was asked for. */
  readonly url: string;
  /** Open connections. */
  readonly connections: number;
  /** Objects held for clients (Python's `number_of_objects`). */
  readonly referents: number;
  /** Stops accepting and closes every connection. */
  close(): Promise<void>;
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`PyManagerListenOptions.${name} must be a positive integer, got ${String(value)}`);
  return value;
}

/** Serves what `pipeline` runs to Python manager clients on `address` (a tcp or unix address). */
export async function listenPyManager(address: StreamAddress, pipeline: CallPipeline, options: PyManagerListenOptions): Promise<PyManagerListener> {
  if (address.scheme === "tls") throw new TypeError("pymanager:// listens on plain TCP or a unix socket: Python's manager protocol has no TLS");
  const limits = await connectionLimits(options);
  const key = options.authkey ?? new Uint8Array(0);
  const { logger } = options;
  const service = new PyManagerService(pipeline, { maxReferents: options.maxReferents, allowShutdown: options.allowShutdown });
  const open = new Set<PyManagerSocket>();
  const onClosed = (conn: PyManagerSocket): void => void open.delete(conn);
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    if (closing === undefined) {
      // net.Server.close() waits for open sockets, so they are destroyed first.
      for (const conn of open) conn.destroy();
      closing = stream.close();
    }
    return closing;
  };
  const stream = await listenStream(address, undefined, limits.handshakeTimeoutMs, {
    admit: (socket) => {
      if (closing !== undefined) return false;
      if (options.allow && address.scheme !== "unix" && !options.allow.allows(socket.remoteAddress)) {
        logger.warn(`refused ${socket.remoteAddress}: not in the allow list`);
        return false;
      }
      return true;
    },
    onSocket: (socket) => {
      const { peer, dialled } = whoIs(socket, address.scheme, address.path, key);
      open.add(new PyManagerSocket(socket, service, key, limits, logger, peer, dialled, onClosed, () => void close()));
    },
    onError: (error) => logger.error(`pymanager listener: ${error.message}`),
  });
  const url = address.scheme === "unix" ? `pymanager+unix://${address.path}` : `pymanager://${stream.address.host}:${stream.address.port}`;
  return {
    url,
    get connections() {
      return open.size;
    },
    get referents() {
      return service.referents.size;
    },
    close,
  };
}

/** The checked limits of each connection, TCP_QUICKACK loaded where asked and available. */
export async function connectionLimits(options: PyManagerListenOptions): Promise<PyConnectionLimits> {
  const limits: PyConnectionLimits = {
    maxFrameBytes: positive(options.maxFrameBytes, PYMANAGER_LISTEN_DEFAULTS.maxFrameBytes, "maxFrameBytes"),
    handshakeTimeoutMs: positive(options.handshakeTimeoutMs, PYMANAGER_LISTEN_DEFAULTS.handshakeTimeoutMs, "handshakeTimeoutMs"),
    idleTimeoutMs: positive(options.idleTimeoutMs, PYMANAGER_LISTEN_DEFAULTS.idleTimeoutMs, "idleTimeoutMs"),
    quickAck: undefined,
    decoding: requestDecoding(options.classes),
  };
  if (options.quickAck !== false) {
    const { quickAck, missing } = await loadQuickAck();
    limits.quickAck = quickAck;
    if (missing !== undefined) options.logger.info(`pymanager listener: ${missing}; Python clients may wait ~40 ms for a delayed ACK on each new connection`);
  }
  return limits;
}

/** The client as a call's peer, and the address it dialled, as Python's server names itself in a Token. */
export function whoIs(socket: Socket, scheme: string, path: string | undefined, key: Uint8Array): { peer: PeerInfo; dialled: PickleTuple | string } {
  const peer = { transport: scheme, address: socket.remoteAddress ?? path ?? "", port: socket.remotePort, authenticated: key.length > 0 };
  const dialled = scheme === "unix" ? path ?? "" : pickleTuple(socket.localAddress ?? "", socket.localPort ?? 0);
  return { peer, dialled };
}
