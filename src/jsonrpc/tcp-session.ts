/**
 * JSON-RPC 2.0 over a raw stream socket: JSON values in (split by json-stream.ts), one JSON
 * value per line out, each answer written as soon as it is ready (in order of completion,
 * as the specification allows: ids pair answers with requests). No credentials travel on
 * this transport, so serve() only hands it connections its listener trusts.
 */
import type { Socket } from "node:net";
import type { Codec } from "../core/codec.js";
import type { PeerInfo } from "../core/context.js";
import { RpcError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import { CallLimit, type CallPipeline } from "../core/pipeline.js";
import { encodeResponse, errorResponse, handleJsonRpc, jsonRpcInvoker, type JsonRpcInvoke } from "./protocol.js";
import type { JsonRpcResponse } from "./document.js";
import { JsonValueSplitter } from "./json-stream.js";
import { readAccepted } from "../net/accepted-input.js";
import type { WriteBudget } from "../net/framing.js";

const NEWLINE = Buffer.from("\n");

/** Time a caller that is hung up on gets to read its error line before the socket goes. */
const LINGER_MS = 1000;

/** What every raw JSON-RPC connection of a server shares. */
export interface JsonStreamConfig {
  /** Runs every call. */
  pipeline: CallPipeline;
  /** The plain JSON codec: raw TCP has no header to ask for the extended one. */
  codec: Codec;
  maxBodyBytes: number;
  maxDepth: number;
  maxBatch: number;
  /** Documents answered at once; reading pauses beyond it. */
  maxInFlight: number;
  /** Answers queued for a caller that does not read before the connection is closed. */
  maxWriteBufferBytes: number;
  /** The server's cap on answer bytes queued over all its connections. */
  writeBudget?: WriteBudget | undefined;
  /** Time one JSON value may take to arrive, from its first byte (slow loris). */
  requestTimeoutMs: number;
  discover: () => unknown;
  logger: Logger;
}

export class JsonStreamSession {
  private readonly splitter: JsonValueSplitter;
  private readonly controller = new AbortController();
  private readonly invoke: JsonRpcInvoke;
  private inFlight = 0;
  private draining = false;
  private idle: (() => void) | undefined;
  /** When the value still arriving was first seen partial (ms since the epoch); 0 when none is. */
  private partialSince = 0;
  /** Armed while a value is partial; one timer per slow stretch, not per value. */
  private lateTimer: ReturnType<typeof setTimeout> | undefined;
  /** What this connection holds of the server's write budget: written, not yet taken by the kernel. */
  private charged = 0;

  constructor(
    private readonly socket: Socket,
    private readonly cfg: JsonStreamConfig,
    peer: PeerInfo,
    private readonly where: string,
  ) {
    this.splitter = new JsonValueSplitter(cfg.maxBodyBytes, cfg.maxDepth);
    const signal = this.controller.signal;
    // Calls of this connection share its in-flight limit: a batch's calls count one by one.
    this.invoke = jsonRpcInvoker(cfg.pipeline, { peer, signal }, new CallLimit(cfg.maxInFlight, "this connection"));
    // The splitter keeps views of a value's pieces across reads: a reused read is copied.
    readAccepted(socket, (chunk, reused) => this.onData(reused ? Buffer.from(chunk) : chunk));
    socket.once("close", () => {
      clearTimeout(this.lateTimer);
      this.controller.abort();
      this.release(this.charged);
      this.idle?.();
    });
  }

  /** Starts on the bytes read while sniffing. */
  start(head: Buffer): void {
    this.onData(head);
  }

  /** Stops reading, lets documents in flight be answered, then ends the connection. */
  async drain(): Promise<void> {
    this.draining = true;
    this.socket.pause();
    if (this.inFlight > 0) await new Promise<void>((resolve) => (this.idle = resolve));
    this.socket.end();
  }

  /** Ends the connection now; handlers still running see their signal abort. */
  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.draining) return;
    try {
      this.splitter.push(chunk, (value) => this.onValue(value), (err) => this.onMalformed(err));
    } catch (err) {
      this.hangUp(err);
      return;
    }
    // Only values split across reads are timed: whole values cost no clock read. A value
    // left partial is dated by the first chunk that leaves it so (onValue undates the last).
    if (this.splitter.partial) {
      if (this.partialSince === 0) this.partialSince = Date.now();
      this.lateTimer ??= setTimeout(onLateCheck, this.cfg.requestTimeoutMs - (Date.now() - this.partialSince), this);
    }
  }

  /** The timer fired: hang up if the value in progress is overdue, else look again when it would be. */
  checkLate(): void {
    this.lateTimer = undefined;
    if (!this.splitter.partial || this.draining) return;
    const left = this.cfg.requestTimeoutMs - (Date.now() - this.partialSince);
    if (left > 0) {
      this.lateTimer = setTimeout(onLateCheck, left, this);
      return;
    }
    this.hangUp(new RpcError("RESOURCE_EXHAUSTED", `JSON value not complete within ${this.cfg.requestTimeoutMs} ms (requestTimeoutMs)`));
  }

  /** A stretch of the stream was dropped (json-stream.ts): say so; reading goes on. */
  private onMalformed(err: RpcError): void {
    this.partialSince = 0;
    this.write(errorResponse(null, err));
  }

  /**
   * The byte stream cannot be resynchronised: answer once, let the documents already read be
   * answered too, then hang up.
   */
  private hangUp(err: unknown): void {
    this.cfg.logger.warn(`${this.where}: closing: ${(err as Error).message}`);
    this.draining = true;
    clearTimeout(this.lateTimer);
    this.write(errorResponse(null, err));
    if (this.inFlight === 0) endLingering(this.socket);
    else this.idle = () => endLingering(this.socket);
  }

  private onValue(value: Buffer): void {
    this.partialSince = 0;
    let doc: unknown;
    try {
      doc = this.cfg.codec.decode(value);
    } catch (err) {
      this.write(errorResponse(null, err));
      return;
    }
    this.inFlight++;
    if (this.inFlight >= this.cfg.maxInFlight) this.socket.pause();
    handleJsonRpc(doc, this.invoke, { maxBatch: this.cfg.maxBatch, discover: this.cfg.discover, extended: false }).then(
      (response) => this.settled(response),
      (err: unknown) => this.settled(errorResponse(null, err)),
    );
  }

  private settled(response: JsonRpcResponse | JsonRpcResponse[] | undefined): void {
    this.inFlight--;
    if (response !== undefined) this.write(response);
    if (this.draining) {
      if (this.inFlight === 0) this.idle?.();
    } else if (this.inFlight < this.cfg.maxInFlight && this.socket.isPaused()) {
      this.socket.resume();
    }
  }

  /**
   * Writes one answer line. An answer that would pass maxWriteBufferBytes or the server's
   * budget is replaced by RESOURCE_EXHAUSTED errors for its ids; when even those do not fit,
   * the caller is not reading and the connection is closed.
   */
  private write(response: JsonRpcResponse | JsonRpcResponse[]): void {
    if (this.socket.destroyed || this.socket.writableEnded) return;
    let line = encodeResponse(response, this.cfg.codec);
    let over = this.overLimit(line.length + ERROR_LINE_ROOM);
    if (over !== undefined) {
      const error = new RpcError("RESOURCE_EXHAUSTED", `an answer of ${line.length} B cannot be queued: ${over}`);
      line = encodeResponse(Array.isArray(response) ? response.map((r) => errorResponse(r.id, error)) : errorResponse(response.id, error), this.cfg.codec);
      over = this.overLimit(line.length);
      if (over !== undefined) {
        this.cfg.logger.warn(`${this.where}: closing: caller is not reading: ${over}`);
        this.socket.destroy();
        return;
      }
    }
    const bytes = line.length + 1;
    if (this.cfg.writeBudget) {
      this.cfg.writeBudget.used += bytes;
      this.charged += bytes;
    }
    this.socket.write(line);
    this.socket.write(NEWLINE, this.cfg.writeBudget ? () => this.release(bytes) : undefined);
  }

  private overLimit(bytes: number): string | undefined {
    const held = this.socket.writableLength;
    if (held + bytes + 1 > this.cfg.maxWriteBufferBytes) return `${held} B already queued for this caller + ${bytes + 1} B exceed maxWriteBufferBytes ${this.cfg.maxWriteBufferBytes}`;
    const budget = this.cfg.writeBudget;
    if (budget && budget.used + bytes + 1 > budget.max) return `${budget.used} B already queued for all callers + ${bytes + 1} B exceed ${budget.option} ${budget.max}`;
    return undefined;
  }

  /** Gives `bytes` back to the server's budget, never more than this connection took. */
  private release(bytes: number): void {
    const n = Math.min(bytes, this.charged);
    if (n === 0 || !this.cfg.writeBudget) return;
    this.charged -= n;
    this.cfg.writeBudget.used -= n;
  }
}

/** Room an answer must leave under the limits for the error lines that would replace it. */
const ERROR_LINE_ROOM = 1024;

function destroySocket(socket: Socket): void {
  socket.destroy();
}

/** Ends `socket`; the caller gets LINGER_MS to read what was written, one still sending cannot hold it. */
function endLingering(socket: Socket): void {
  socket.end();
  setTimeout(destroySocket, LINGER_MS, socket).unref();
}

function onLateCheck(session: JsonStreamSession): void {
  session.checkLate();
}

/** Rejects `socket` for raw JSON-RPC with one error line, then closes it. */
export function refuseJsonStream(socket: Socket, codec: Codec, error: RpcError): void {
  socket.end(Buffer.concat([encodeResponse(errorResponse(null, error), codec), NEWLINE]));
}
