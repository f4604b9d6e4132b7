/**
 * An accepted socket read into one reused buffer instead of a fresh buffer and a Readable
 * 'data' event per read. Node 20 gives accepted sockets no public `onread`, but the pieces a
 * dialed socket's `onread` sets up are there (lib/net.js, lib/internal/stream_base_commons.js):
 * when the socket's `kBuffer` is set, `onStreamRead` hands each read to `kBufferCb(nread,
 * buffer)` and no stream machinery runs, and `handle.useUserBuffer(buffer)` makes the kernel
 * read into that buffer. `pause()`/`resume()` stop and restart the handle's reads in that mode,
 * and end of stream, errors and socket timeouts take their usual path.
 *
 * All sockets of the process share the one buffer (`sharedReadBuffer`), dialed ones too, so a
 * thousand idle connections hold no 64 KiB each.
 *
 * With `room`, a read goes where it says instead (a large frame's own buffer, filled in
 * place); such a read is not the shared buffer and is handed on as not reused.
 *
 * Anything missing (another Node, a TLS socket, bytes already queued in the stream) and the
 * socket is read through 'data' exactly as before.
 */
import type { Socket } from "node:net";
import { sharedReadBuffer } from "./socket-input.js";

/** Receives a read; with `reused`, `chunk` is overwritten once this returns. */
export type ReadTarget = (chunk: Buffer, reused: boolean) => void;

interface Slots {
  buffer: symbol;
  callback: symbol;
  generator: symbol;
}

/** The socket's private symbols, found on the first socket; null when this Node lacks them. */
let slots: Slots | null | undefined;

function findSlots(socket: Socket): Slots | null {
  const own = Object.getOwnPropertySymbols(socket);
  const named = (name: string): symbol | undefined => own.find((s) => s.description === name);
  const buffer = named("kBuffer");
  const callback = named("kBufferCb");
  const generator = named("kBufferGen");
  return buffer && callback && generator ? { buffer, callback, generator } : null;
}

interface UserBufferHandle {
  useUserBuffer?: (buffer: Buffer) => void;
  reading?: boolean;
  _consumed?: boolean;
}

/** Whether `socket` can be switched to the shared buffer now, without a byte read out of order. */
function switchable(socket: Socket, s: Slots): boolean {
  const fields = socket as unknown as Record<symbol, unknown>;
  const handle = (socket as unknown as { _handle?: UserBufferHandle | null })._handle;
  return (
    !(socket as { encrypted?: boolean }).encrypted &&
    !socket.destroyed &&
    !socket.isPaused() &&
    socket.readableLength === 0 &&
    fields[s.buffer] === null &&
    fields[s.generator] === null &&
    handle != null &&
    typeof handle.useUserBuffer === "function" &&
    handle._consumed !== true
  );
}

/**
 * Hands every later read of the accepted `socket` to `target`: from the process's shared read
 * buffer (or `room`'s) where this Node allows it, else from 'data' events. Returns whether the buffer is
 * used. Call it once per socket, before the event loop delivers its next read.
 */
export function readAccepted(socket: Socket, target: ReadTarget, room?: () => Buffer | undefined): boolean {
  if (slots === undefined) slots = findSlots(socket);
  if (slots === null || !switchable(socket, slots)) {
    socket.on("data", (chunk: Buffer) => target(chunk, false));
    return false;
  }
  const buffer = sharedReadBuffer();
  const fields = socket as unknown as Record<symbol, unknown>;
  fields[slots.buffer] = buffer;
  fields[slots.callback] = (bytes: number, into: Buffer): boolean => {
    target(into.subarray(0, bytes), into === buffer);
    return true;
  };
  // Asked after every read where the next one goes (what onread's buffer function does).
  if (room) fields[slots.generator] = () => room() ?? buffer;
  (socket as unknown as { _handle: Required<UserBufferHandle> })._handle.useUserBuffer(buffer);
  // Flowing, as a 'data' listener would make it: the handle reads until someone pauses it.
  socket.resume();
  return true;
}
