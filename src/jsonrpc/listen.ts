/**
 * Raw JSON-RPC over TCP on a one-port listener: the sniff entry that takes connections
 * starting with `{` or `[`, when the listener's policy lets it, and the sessions a server
 * drains on close().
 */
import { RpcError } from "../core/errors.js";
import type { SessionGroup } from "../net/connections.js";
import { peerInfoOf } from "../net/peer-info.js";
import type { SniffEntry } from "../net/sniff.js";
import { createJsonCodec } from "../codecs/json-ext.js";
import { HTTP_DEFAULTS, type JsonRpcOverTcp } from "../options.js";
import { buildOpenRpcDocument } from "./openrpc.js";
import { matchJsonValue } from "./sniff.js";
import { JsonStreamSession, refuseJsonStream, type JsonStreamConfig } from "./tcp-session.js";

/** A raw JSON-RPC session (TCP or WebSocket) as its server drains and closes it. */
interface JsonSession {
  drain(): Promise<void>;
  close(): void;
}

/** The raw JSON-RPC sessions of a server, on all its listeners. */
export class JsonRpcSessions implements SessionGroup {
  private readonly sessions = new Set<JsonSession>();
  private draining = false;

  /** A session about to start; one starting during close() drains at once. */
  add(session: JsonSession): void {
    this.sessions.add(session);
    if (this.draining) void session.drain();
  }

  delete(session: JsonSession): void {
    this.sessions.delete(session);
  }

  /** Stops reading every session; resolves when their answers are written. */
  async drain(): Promise<void> {
    this.draining = true;
    await Promise.all([...this.sessions].map((session) => session.drain()));
  }

  close(): void {
    for (const session of this.sessions) session.close();
  }
}

/** Who may speak raw JSON-RPC on a listener: its jsonRpcOverTcp, and whether it has an authkey. */
export interface JsonRpcAccess {
  mode: JsonRpcOverTcp;
  keyed: boolean;
}

/** What a listener's raw JSON-RPC sessions share, beyond what this module decides itself. */
export type JsonRpcListenSettings = Omit<JsonStreamConfig, "codec" | "discover">;

/**
 * The entry for raw JSON-RPC. It carries no credentials, so a listener with an authkey
 * refuses it unless told the network is trusted ("trusted"); "off" always refuses it.
 */
export function jsonRpcEntry(settings: JsonRpcListenSettings, access: JsonRpcAccess, sessions: JsonRpcSessions): SniffEntry {
  const { pipeline } = settings;
  const cfg: JsonStreamConfig = {
    ...settings,
    // Plain JSON: raw TCP has no header in which a farcall client could ask for json-ext.
    codec: createJsonCodec({ extended: false, maxDepth: settings.maxDepth }),
    discover: () => buildOpenRpcDocument(pipeline.dispatcher?.list() ?? [], HTTP_DEFAULTS.openrpc),
  };
  const refusal =
    access.mode === "off"
      ? "jsonRpcOverTcp is off"
      : access.mode === "auto" && access.keyed
        ? `raw JSON-RPC carries no credentials and this listener has an authkey (jsonRpcOverTcp: "trusted" allows it)`
        : undefined;
  return {
    name: "jsonrpc",
    match: matchJsonValue,
    accept(socket, head, connection) {
      connection.established();
      connection.handshakeDone();
      if (refusal !== undefined) {
        cfg.logger.warn(`${connection.where}: refused raw JSON-RPC: ${refusal}`);
        refuseJsonStream(socket, cfg.codec, new RpcError("UNAUTHENTICATED", `raw JSON-RPC over TCP is refused here: ${refusal}`));
        return;
      }
      const session = new JsonStreamSession(socket, cfg, peerInfoOf(socket, connection.transport, false, connection.unixPath), connection.where);
      sessions.add(session);
      socket.once("close", () => sessions.delete(session));
      session.start(head);
    },
  };
}
