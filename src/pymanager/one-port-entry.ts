/**
 * Python's manager clients on a one-port tcp:// or unix:// listener (opt-in, `pymanager: {
 * silenceMs }`). A manager client speaks only after the server's challenge, so it cannot be
 * recognised by its first bytes: a connection that has sent nothing for `silenceMs` is taken
 * for one and gets the challenge. The cost is that wait on every Python connection, and
 * the caveat: any client that connects and waits (a browser's preconnect, a port scanner)
 * is taken for a Python client too, and is closed when it fails the handshake.
 */
import type { Socket } from "node:net";
import type { Logger } from "../core/logger.js";
import type { CallPipeline } from "../core/pipeline.js";
import type { SniffedConnection, SniffEntry } from "../net/sniff.js";
import { PyManagerSocket } from "./connection.js";
import { connectionLimits, whoIs } from "./listener.js";
import { PyManagerService } from "./server.js";

/** Settings of {@link pyManagerEntry}, from the listener's policy. */
export interface PyManagerEntrySettings {
  silenceMs: number;
  /** A program's own classes clients may store (the option's `classes`). */
  classes: readonly string[] | undefined;
  authkey: Uint8Array | undefined;
  logger: Logger;
  maxFrameBytes: number;
  handshakeTimeoutMs: number;
  idleTimeoutMs: number | undefined;
  /** "tcp" or "unix", for the callers' peer info. */
  transport: string;
  unixPath: string | undefined;
}

/** The sniff entry answering silent connections with the manager protocol, serving `pipeline`. */
export async function pyManagerEntry(pipeline: CallPipeline, settings: PyManagerEntrySettings): Promise<SniffEntry> {
  const { logger, transport, unixPath } = settings;
  const key = settings.authkey ?? new Uint8Array(0);
  const limits = await connectionLimits({ logger, maxFrameBytes: settings.maxFrameBytes, handshakeTimeoutMs: settings.handshakeTimeoutMs, idleTimeoutMs: settings.idleTimeoutMs, classes: settings.classes });
  const service = new PyManagerService(pipeline);
  return {
    name: "pymanager",
    silenceMs: settings.silenceMs,
    match: () => false,
    accept(socket: Socket, _head: Buffer, connection: SniffedConnection) {
      connection.established();
      // The manager handshake keeps its own deadline from here.
      connection.handshakeDone();
      const { peer, dialled } = whoIs(socket, transport, unixPath, key);
      // The server tracks and closes the socket; a client's shutdown is refused (allowShutdown is off).
      void new PyManagerSocket(socket, service, key, limits, logger, peer, dialled, noop, noop);
    },
  };
}

function noop(): void {}
