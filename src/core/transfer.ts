/**
 * transfer(): marks a value to be moved, not copied, when it crosses a MessagePort (a
 * worker's port, a MessageChannel): it travels in the message beside the farcall/1 frame,
 * with what it owns in the message's transfer list. An ArrayBuffer is moved and the sender's
 * is detached (byteLength 0); a typed array or DataView arrives as the same kind of view
 * (offset, length) on its moved buffer; a MessagePort is handed over, so the callee can
 * talk on it directly. Over any other transport the mark means nothing and bytes are copied
 * as usual; a MessagePort cannot cross one at all. No Node module.
 */

/** What transfer() takes: the transferable kinds that carry meaning in a call. */
export type TransferableValue = ArrayBuffer | ArrayBufferView | MessagePortLike;

/**
 * A MessagePort (the global class, in browsers and in Node, where worker_threads' ports are
 * the same class), typed structurally because the project's types carry no DOM.
 */
export interface MessagePortLike {
  postMessage(message: unknown, transfer?: readonly object[]): void;
  close(): void;
}

/** Values marked and not yet sent. A WeakSet: a mark never keeps a value alive. */
const marked = new WeakSet<object>();

/** The global MessagePort class where there is one (browsers, workers, Node 15 and later). */
const PortClass = (globalThis as { MessagePort?: abstract new () => object }).MessagePort;

/** True for a MessagePort: one can only cross a port in the transfer list. */
export function isMessagePort(value: object): value is MessagePortLike {
  return PortClass !== undefined && value instanceof PortClass;
}

/**
 * Marks `value` to be moved by the next message that carries it over a port, and returns
 * it, so it can be written in place: `remote.resize(transfer(pixels), 640)`. A view moves its
 * whole buffer, so every other view on that buffer is detached with it. A MessagePort
 * crosses a port even unmarked (it cannot be copied).
 * @example const out = await remote.process(transfer(bytes)); // bytes.buffer is now detached
 */
export function transfer<T extends TransferableValue>(value: T): T {
  if (!(value instanceof ArrayBuffer) && !ArrayBuffer.isView(value) && !(typeof value === "object" && value !== null && isMessagePort(value))) {
    throw new TypeError(`transfer() takes an ArrayBuffer, a typed array or DataView, or a MessagePort, got ${Object.prototype.toString.call(value)}`);
  }
  if (isNodeBuffer(value)) {
    // It would arrive as a Uint8Array, and a small one shares Node's pool.
    throw new TypeError("transfer() cannot move a Node Buffer: pass new Uint8Array(buf.buffer, buf.byteOffset, buf.length)");
  }
  marked.add(value);
  return value;
}

/** True when `value` was marked; the mark is used up (a transferred value is detached). */
export function takeTransferMark(value: object): boolean {
  return marked.delete(value);
}

/** What a moved value puts in the message's transfer list: its buffer, or the port itself. */
export function transferListEntry(value: object): object {
  return ArrayBuffer.isView(value) ? value.buffer : value;
}

function isNodeBuffer(value: unknown): boolean {
  const NodeBuffer = (globalThis as { Buffer?: { isBuffer(v: unknown): boolean } }).Buffer;
  return NodeBuffer !== undefined && NodeBuffer.isBuffer(value);
}
