/**
 * The one-port listener: on a stream transport the dialer speaks first, so the first few
 * bytes tell which protocol it speaks. Each protocol is one entry of the table; anything
 * unrecognised is closed.
 */
import type { Socket } from "node:net";

/** A connection whose protocol is being found out, as the entry that takes it over sees it. */
export interface SniffedConnection {
  /** "tcp", "tls" or "unix". */
  readonly transport: string;
  /** The socket path of a unix listener, whose sockets have no remote address. */
  readonly unixPath: string | undefined;
  /** The connection in log lines. */
  readonly where: string;
  /** The protocol has taken over: socket errors are its own to report from now on. */
  established(): void;
  /** Its handshake is complete, or refused: the handshake deadline no longer applies. */
  handshakeDone(): void;
}

/** One protocol a listener can recognise from a connection's first bytes. */
export interface SniffEntry {
  readonly name: string;
  /** true: this protocol; false: not this one; undefined: more bytes needed to tell. */
  match(head: Buffer): boolean | undefined;
  /** Takes the connection over; `head` holds every byte read so far. */
  accept(socket: Socket, head: Buffer, connection: SniffedConnection): void;
  /**
   * For a protocol whose server speaks first: the entry takes a connection that has sent
   * nothing for this long (with an empty head). At most one entry of a table sets it.
   */
  readonly silenceMs?: number;
}

/** Bytes read before a verdict is due; no supported preamble is longer. */
const MAX_SNIFF_BYTES = 64;

/** Reads the first bytes of `socket` and hands it to the entry they match. */
export function sniff(socket: Socket, entries: readonly SniffEntry[], connection: SniffedConnection, onUnknown: (head: Buffer) => void): void {
  let head: Buffer = Buffer.alloc(0);
  const silent = entries.find((e) => e.silenceMs !== undefined);
  // One timer per connection, and only on listeners that opted in: the first byte clears it.
  let timer = silent === undefined ? undefined : setTimeout(() => {
    socket.removeListener("data", onData);
    socket.removeListener("close", onClose);
    silent.accept(socket, head, connection);
  }, silent.silenceMs);
  const onClose = (): void => clearTimeout(timer);
  if (timer !== undefined) socket.once("close", onClose);
  const onData = (chunk: Buffer): void => {
    if (timer !== undefined) {
      clearTimeout(timer);
      socket.removeListener("close", onClose);
      timer = undefined;
    }
    head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
    let undecided = false;
    for (const entry of entries) {
      const verdict = entry.match(head);
      if (verdict === true) {
        socket.removeListener("data", onData);
        entry.accept(socket, head, connection);
        return;
      }
      if (verdict === undefined) undecided = true;
    }
    if (!undecided || head.length >= MAX_SNIFF_BYTES) {
      socket.removeListener("data", onData);
      onUnknown(head);
    }
  };
  socket.on("data", onData);
}

/** A matcher for a fixed preamble. */
export function preambleMatcher(preamble: Uint8Array): (head: Buffer) => boolean | undefined {
  return (head) => {
    const n = Math.min(head.length, preamble.length);
    for (let i = 0; i < n; i++) if (head[i] !== preamble[i]) return false;
    return head.length >= preamble.length ? true : undefined;
  };
}
