/**
 * JSON-RPC 2.0 over WebSocket (subprotocol "jsonrpc-2.0"): one JSON document per message,
 * each answered by one message as soon as it is ready (in order of completion: ids pair
 * answers with requests). Like raw TCP it carries no credentials, so the listener's
 * jsonRpcOverTcp policy decides who may use it.
 */
import type { IncomingMessage } from "node:http";
import type { RawData, WebSocket } from "ws";
import { createJsonCodec } from "../codecs/json-ext.js";
import { describe } from "../core/describe.js";
import { RpcError } from "../core/errors.js";
import { CallLimit } from "../core/pipeline.js";
import { HTTP_DEFAULTS } from "../options.js";
import type { UpgradeHandler } from "../ws/upgrade.js";
import { CLOSE_POLICY_VIOLATION, CLOSE_TOO_BIG } from "../ws/link.js";
import { WriteCharge } from "../ws/write-charge.js";
import type { JsonRpcAccess, JsonRpcListenSettings, JsonRpcSessions } from "./listen.js";
import { buildOpenRpcDocument } from "./openrpc.js";
import { encodeResponse, errorResponse, handleJsonRpc, jsonRpcInvoker, type JsonRpcInvoke } from "./protocol.js";
import type { JsonRpcResponse } from "./document.js";
import type { JsonStreamConfig } from "./tcp-session.js";

/** The subprotocol name of JSON-RPC 2.0 over WebSocket. */
export const JSONRPC_WS_PROTOCOL = "jsonrpc-2.0";

/** The upgrade handler of JSON-RPC over WebSocket, under the listener's raw JSON-RPC policy. */
export function jsonRpcWsHandler(settings: JsonRpcListenSettings, access: JsonRpcAccess, sessions: JsonRpcSessions, transport: "ws" | "wss"): UpgradeHandler {
  const cfg: JsonStreamConfig = {
    ...settings,
    codec: createJsonCodec({ extended: false, maxDepth: settings.maxDepth }),
    discover: () => buildOpenRpcDocument(settings.pipeline.dispatcher?.list() ?? [], HTTP_DEFAULTS.openrpc),
  };
  const refusal =
    access.mode === "off"
      ? "jsonRpcOverTcp is off"
      : access.mode === "auto" && access.keyed
        ? `JSON-RPC over WebSocket carries no credentials and this listener has an authkey (jsonRpcOverTcp: "trusted" allows it)`
        : undefined;
  return (socket: WebSocket, req: IncomingMessage, settled: () => void) => {
    settled();
    const info = { transport, address: req.socket.remoteAddress ?? "unknown", authenticated: false, ...(req.socket.remotePort !== undefined ? { port: req.socket.remotePort } : {}) };
    if (refusal !== undefined) {
      cfg.logger.warn(`${describe(info)}: refused JSON-RPC over WebSocket: ${refusal}`);
      socket.close(CLOSE_POLICY_VIOLATION, "JSON-RPC over WebSocket is refused here (jsonRpcOverTcp)");
      return;
    }
    const session = new JsonWsSession(socket, cfg, info);
    sessions.add(session);
    socket.once("close", () => sessions.delete(session));
  };
}

/** One JSON-RPC WebSocket. */
class JsonWsSession {
  private readonly controller = new AbortController();
  private readonly invoke: JsonRpcInvoke;
  private readonly where: string;
  /** This socket's share of the server's maxServerWriteBufferBytes, when it has one. */
  private readonly charge: WriteCharge | undefined;
  private inFlight = 0;
  private draining = false;
  private idle: (() => void) | undefined;

  constructor(private readonly socket: WebSocket, private readonly cfg: JsonStreamConfig, info: { transport: string; address: string; authenticated: boolean; port?: number }) {
    this.where = describe(info);
    this.charge = cfg.writeBudget ? new WriteCharge(cfg.writeBudget) : undefined;
    this.invoke = jsonRpcInvoker(cfg.pipeline, { peer: info, signal: this.controller.signal }, new CallLimit(cfg.maxInFlight, "this connection"));
    socket.on("message", (data: RawData) => this.onMessage(data as Buffer));
    socket.on("error", noop); // 'close' follows and aborts what is running
    socket.once("close", () => {
      this.charge?.releaseAll();
      this.controller.abort();
      this.idle?.();
    });
  }

  /** Stops reading, lets documents in flight be answered, then closes with 1001 (going away). */
  async drain(): Promise<void> {
    this.draining = true;
    this.socket.pause();
    if (this.inFlight > 0) await new Promise<void>((resolve) => (this.idle = resolve));
    this.socket.close(1001, "the server is shutting down");
  }

  close(): void {
    this.socket.terminate();
  }

  private onMessage(data: Buffer): void {
    if (this.draining) return;
    if (data.length > this.cfg.maxBodyBytes) {
      this.cfg.logger.warn(`${this.where}: closing: message of ${data.length} B exceeds maxBodyBytes ${this.cfg.maxBodyBytes}`);
      this.socket.close(CLOSE_TOO_BIG, `message of ${data.length} B exceeds maxBodyBytes ${this.cfg.maxBodyBytes}`);
      return;
    }
    let doc: unknown;
    try {
      doc = this.cfg.codec.decode(data);
    } catch (err) {
      this.send(errorResponse(null, err));
      return;
    }
    this.inFlight++;
    // Past the in-flight limit reading pauses, so a client cannot queue unbounded work.
    if (this.inFlight >= this.cfg.maxInFlight) this.socket.pause();
    handleJsonRpc(doc, this.invoke, { maxBatch: this.cfg.maxBatch, discover: this.cfg.discover, extended: false }).then(
      (response) => this.settled(response),
      (err: unknown) => this.settled(errorResponse(null, RpcError.from(err))),
    );
  }

  private settled(response: JsonRpcResponse | JsonRpcResponse[] | undefined): void {
    this.inFlight--;
    if (response !== undefined) this.send(response);
    if (this.draining) {
      if (this.inFlight === 0) this.idle?.();
    } else if (this.inFlight < this.cfg.maxInFlight && this.socket.isPaused) {
      this.socket.resume();
    }
  }

  private send(response: JsonRpcResponse | JsonRpcResponse[]): void {
    if (this.socket.readyState !== this.socket.OPEN) return;
    let message = encodeResponse(response, this.cfg.codec);
    const over = this.charge?.overLimit(message.length);
    if (over !== undefined) {
      // As over raw TCP: the answer fails alone; its short errors go out even so (the
      // bufferedAmount check below still cuts off a caller that does not read).
      const error = new RpcError("RESOURCE_EXHAUSTED", `an answer of ${message.length} B cannot be queued: ${over}`);
      message = encodeResponse(Array.isArray(response) ? response.map((r) => errorResponse(r.id, error)) : errorResponse(response.id, error), this.cfg.codec);
    }
    if (this.charge) {
      this.charge.charge(message.length);
      this.socket.send(message, { binary: false }, this.charge.onSent);
    } else {
      this.socket.send(message, { binary: false });
    }
    if (this.socket.bufferedAmount > this.cfg.maxWriteBufferBytes) {
      this.cfg.logger.warn(`${this.where}: closing: ${this.socket.bufferedAmount} B of answers unread exceed maxWriteBufferBytes ${this.cfg.maxWriteBufferBytes}`);
      this.socket.terminate();
    }
  }
}

function noop(): void {}
