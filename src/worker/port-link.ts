/**
 * farcall/1 over a MessagePort, a Worker or a Web Worker's global scope: one frame per
 * message, structured-cloned. Both ends live in one process (or one page) and were wired
 * together by the program itself, so there is no handshake: no codec to choose, and no one
 * else who could be on the other end. No Node module: it runs in browsers too.
 */
import { RpcError } from "../core/errors.js";
import type { FrameSink } from "../core/peer.js";
import { isMovedList, PortTransfers, transferList } from "./transfers.js";

/** A frame sent with values moved beside it (transfer()); a frame alone is sent bare. */
interface FrameWithTransfers {
  frame: Uint8Array;
  moved: object[];
}

/**
 * What a port needs: `postMessage`, and either `addEventListener` (browsers, Node's
 * MessagePort) or `on` (Node's Worker and MessagePort, whose 'exit' and 'close' say the
 * other end is gone).
 */
export interface PortEndpoint {
  postMessage(message: unknown, transfer?: readonly object[]): void;
  addEventListener?(type: "message", listener: (event: Event) => void): void;
  on?(event: "message", listener: (data: unknown) => void): unknown;
  /** MessagePort: starts delivery (needed after addEventListener) and ends the channel. */
  start?(): void;
  close?(): void;
}

export class PortLink implements FrameSink {
  onMessage: (data: Uint8Array) => void = () => {};
  onClose: (error: RpcError) => void = () => {};
  /** Values moved beside frames, shared with the session's codec. */
  readonly transfers = new PortTransfers();
  private closed = false;

  constructor(private readonly endpoint: PortEndpoint, what: string) {
    const onData = (data: unknown): void => {
      if (this.closed) return;
      if (isFrameWithTransfers(data)) {
        this.transfers.received(data.frame, data.moved);
        data = data.frame;
      }
      if (!(data instanceof Uint8Array)) {
        this.fail(new RpcError("INVALID_REQUEST", `${what}: a message that is not a farcall/1 frame (${typeof data}); is something else using this port?`));
        return;
      }
      this.onMessage(data);
    };
    if (typeof endpoint.on === "function") {
      // Node: the data itself is the argument; 'exit' (Worker) and 'close' (MessagePort) end it.
      const on = endpoint.on.bind(endpoint) as (event: string, listener: (arg: unknown) => void) => unknown;
      on("message", onData);
      on("exit", (code) => this.fail(new RpcError("UNAVAILABLE", `${what} exited (code ${String(code)})`)));
      on("close", () => this.fail(new RpcError("UNAVAILABLE", `${what} closed`)));
    } else if (typeof endpoint.addEventListener === "function") {
      // The event is a MessageEvent; the project's types carry no DOM, so its data is read by hand.
      endpoint.addEventListener("message", (event) => onData((event as unknown as { data: unknown }).data));
      endpoint.start?.();
    } else {
      throw new TypeError(`${what} is neither a MessagePort nor a Worker: it has no addEventListener or on`);
    }
  }

  send(frame: Uint8Array): void {
    if (this.closed) return;
    // The frame is copied by the structured clone, not transferred: the codec may hand out a
    // view of a buffer it reuses, which a transfer would detach. Values marked with
    // transfer() are moved beside it.
    const moved = this.transfers.sending(frame);
    if (moved) this.endpoint.postMessage({ frame, moved } satisfies FrameWithTransfers, transferList(moved));
    else this.endpoint.postMessage(frame);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.endpoint.close?.();
  }

  private fail(error: RpcError): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose(error);
  }
}

function isFrameWithTransfers(data: unknown): data is FrameWithTransfers {
  if (typeof data !== "object" || data === null || data instanceof Uint8Array) return false;
  const { frame, moved } = data as Partial<FrameWithTransfers>;
  return frame instanceof Uint8Array && isMovedList(moved);
}
