/**
 * A WebSocket of the runtime (a browser's, a worker's, Deno's, Node 22's global) as a
 * message link: binary messages as ArrayBuffers, backpressure on `bufferedAmount`, text
 * messages refused with close code 1003. No Node module: this is the browser's transport.
 */
import { RpcError } from "../core/errors.js";

/** The part of the WHATWG WebSocket this link uses (the project's types carry no DOM). */
export interface WebSocketLike {
  binaryType: string;
  readonly bufferedAmount: number;
  readonly readyState: number;
  readonly protocol: string;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: string, listener: (event: never) => void, options?: { once?: boolean }): void;
}

export type WebSocketConstructor = new (url: string, protocols: string[]) => WebSocketLike;

/** readyState of an open socket. */
const OPEN = 1;
/** Bytes queued above which stream producers wait (as on Node). */
const ROOM_BYTES = 1024 * 1024;
/** The WHATWG WebSocket has no drain event, so a waiting producer polls this often. */
const ROOM_POLL_MS = 5;
/** Messages held for a link nobody listens to yet. */
const MAX_EARLY_MESSAGES = 8;

export class BrowserWsLink {
  onClose: (error: RpcError) => void = () => {};
  private closing = false;
  private handler: ((data: Uint8Array) => void) | undefined;
  /** Messages that arrived before a session listened (the hello can come with the open). */
  private early: Uint8Array[] = [];

  constructor(readonly socket: WebSocketLike, readonly where: string) {
    socket.binaryType = "arraybuffer";
    socket.addEventListener("message", (event: { data: unknown }) => this.message(event.data));
    socket.addEventListener("close", (event: { code: number; reason: string }) => {
      this.closing = true;
      this.onClose(new RpcError("UNAVAILABLE", `websocket to ${this.where} closed (${event.code}${event.reason ? `: ${event.reason}` : ""})`));
    });
  }

  get onMessage(): (data: Uint8Array) => void {
    return this.handler ?? (() => {});
  }

  set onMessage(handler: (data: Uint8Array) => void) {
    this.handler = handler;
    const early = this.early;
    this.early = [];
    for (const data of early) handler(data);
  }

  send(frame: Uint8Array): void {
    if (!this.closing) this.socket.send(frame);
  }

  room(): Promise<void> | undefined {
    if (this.closing || this.socket.bufferedAmount < ROOM_BYTES) return undefined;
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.closing || this.socket.readyState !== OPEN || this.socket.bufferedAmount < ROOM_BYTES) resolve();
        else setTimeout(check, ROOM_POLL_MS);
      };
      setTimeout(check, ROOM_POLL_MS);
    });
  }

  close(): void {
    this.closeWith(1000, "");
  }

  refuse(reason: string): void {
    this.closeWith(1008, reason);
  }

  private closeWith(code: number, reason: string): void {
    if (this.closing) return;
    this.closing = true;
    this.socket.close(code, reason.slice(0, 120));
  }

  private message(data: unknown): void {
    if (!(data instanceof ArrayBuffer)) {
      this.closeWith(1003, "farcall/1 takes binary messages only, got a text message");
      return;
    }
    const bytes = new Uint8Array(data);
    if (this.handler) return this.handler(bytes);
    if (this.early.length >= MAX_EARLY_MESSAGES) return this.closeWith(1008, `more than ${MAX_EARLY_MESSAGES} messages before the handshake`);
    this.early.push(bytes);
  }
}

/** Opens a WebSocket speaking `protocol`; rejects with UNAVAILABLE if it does not open in time. */
export function openBrowserWebSocket(Ctor: WebSocketConstructor, url: string, protocol: string, timeoutMs: number): Promise<BrowserWsLink> {
  return new Promise((resolve, reject) => {
    const socket = new Ctor(url, [protocol]);
    // Made before the socket opens, so no message is missed.
    const link = new BrowserWsLink(socket, url);
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      socket.close();
      reject(new RpcError("UNAVAILABLE", `cannot open a WebSocket to ${url} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.addEventListener("open", () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(link);
    }, { once: true });
    link.onClose = (error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // A browser hides why an upgrade failed (a 400 for a wrong subprotocol looks like any other).
      reject(new RpcError("UNAVAILABLE", `cannot open a WebSocket to ${url}: ${error.message}`));
    };
  });
}
