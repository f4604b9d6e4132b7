/**
 * transfer(): marks an ArrayBuffer to be moved, not copied, when it crosses a MessagePort
 * (a worker's port, a MessageChannel): it travels in the message's transfer list beside the
 * farcall/1 frame, and the sender's buffer is detached (byteLength 0) once sent. Over any
 * other transport the mark means nothing and the bytes are copied as usual. No Node module.
 */

/** Buffers marked and not yet sent. A WeakSet: a mark never keeps a buffer alive. */
const marked = new WeakSet<ArrayBuffer>();

/**
 * Marks `buffer` to be transferred by the next message that carries it over a port, and
 * returns it, so it can be written in place: `remote.resize(transfer(pixels.buffer), 640)`.
 * @example const out = await remote.process(transfer(bytes.buffer)); // bytes is now detached
 */
export function transfer<T extends ArrayBuffer>(buffer: T): T {
  if (!(buffer instanceof ArrayBuffer)) throw new TypeError(`transfer() takes an ArrayBuffer, got ${Object.prototype.toString.call(buffer)}`);
  marked.add(buffer);
  return buffer;
}

/** True when `buffer` was marked; the mark is used up (a transferred buffer is detached). */
export function takeTransferMark(buffer: ArrayBuffer): boolean {
  return marked.delete(buffer);
}
