/**
 * The floor server: node:net, the farcall/1 framing, an opcode per request, nothing else.
 * Replies produced from one incoming chunk go out in one write (cork/uncork), which is the
 * least a framed protocol can do when many requests arrive together. A stream is written in
 * a loop that waits only when the socket asks it to (write() returning false).
 */
import { createServer, type AddressInfo, type Socket } from "node:net";
import { announcePort, die, watchParent } from "../child.js";
import { makePayload } from "../drivers.js";
import { FrameReader, frameHeader } from "./framing.js";
import { MAX_FRAME_BYTES, OP } from "./protocol.js";

const counters = new Map<string, number>();

/** Integer frames are built this many bytes at a time, one write each. */
const BATCH_BYTES = 64 * 1024;
const INT_FRAME_BYTES = 8;

/** A connection's stream: set when the client asks it to stop early. */
interface StreamState {
  stopped: boolean;
}

/** Settles once the socket takes more, or is gone. */
function drained(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      socket.off("drain", done);
      socket.off("close", done);
      resolve();
    };
    socket.on("drain", done);
    socket.on("close", done);
  });
}

function running(socket: Socket, state: StreamState): boolean {
  return !state.stopped && !socket.destroyed;
}

async function streamInts(socket: Socket, n: number, state: StreamState): Promise<void> {
  for (let i = 0; i < n && running(socket, state); ) {
    const count = Math.min(n - i, BATCH_BYTES / INT_FRAME_BYTES);
    const batch = Buffer.allocUnsafe(count * INT_FRAME_BYTES);
    for (let at = 0; at < batch.length; at += INT_FRAME_BYTES) {
      batch.writeUInt32BE(4, at);
      batch.writeInt32BE(i++, at + 4);
    }
    if (!socket.write(batch)) await drained(socket);
  }
}

let chunk: Buffer | undefined;

async function streamChunks(socket: Socket, n: number, bytes: number, state: StreamState): Promise<void> {
  if (chunk?.length !== bytes) chunk = Buffer.from(makePayload(bytes));
  const header = frameHeader(bytes);
  for (let i = 0; i < n && running(socket, state); i++) {
    socket.cork();
    socket.write(header);
    const more = socket.write(chunk);
    socket.uncork();
    if (!more) await drained(socket);
  }
}

function startStream(socket: Socket, body: Buffer, state: StreamState): void {
  const n = body.readUInt32BE(1);
  const chunkBytes = body.readUInt32BE(5);
  state.stopped = false;
  const writing = chunkBytes > 0 ? streamChunks(socket, n, chunkBytes, state) : streamInts(socket, n, state);
  void writing.then(() => {
    if (!socket.destroyed) socket.write(frameHeader(0));
  });
}

function answer(socket: Socket, body: Buffer, state: StreamState): void {
  switch (body[0]) {
    case OP.add: {
      const reply = Buffer.allocUnsafe(8);
      reply.writeUInt32BE(4, 0);
      reply.writeInt32BE(body.readInt32BE(1) + body.readInt32BE(5), 4);
      socket.write(reply);
      return;
    }
    case OP.echo:
      socket.write(frameHeader(body.length - 1));
      socket.write(body.subarray(1));
      return;
    case OP.get: {
      const reply = Buffer.allocUnsafe(12);
      reply.writeUInt32BE(8, 0);
      reply.writeDoubleBE(counters.get(body.toString("utf8", 1)) ?? 0, 4);
      socket.write(reply);
      return;
    }
    case OP.inc: {
      const key = body.toString("utf8", 1);
      counters.set(key, (counters.get(key) ?? 0) + 1);
      socket.write(frameHeader(0));
      return;
    }
    case OP.stream:
      startStream(socket, body, state);
      return;
    case OP.stop:
      state.stopped = true;
      return;
    default:
      throw new RangeError(`unknown opcode ${body[0]}`);
  }
}

function onConnection(socket: Socket): void {
  socket.setNoDelay(true);
  const state: StreamState = { stopped: false };
  const reader = new FrameReader(MAX_FRAME_BYTES, (body) => answer(socket, body, state));
  socket.on("data", (chunk: Buffer) => {
    socket.cork();
    try {
      reader.push(chunk);
    } catch (error) {
      process.stderr.write(`floor server: ${String(error)}\n`);
      socket.destroy();
      return;
    }
    socket.uncork();
  });
  // A client that exits mid-write resets the connection; that is its business, not ours.
  socket.on("error", () => socket.destroy());
}

watchParent();
const server = createServer(onConnection);
server.on("error", die);
server.listen(0, "127.0.0.1", () => announcePort((server.address() as AddressInfo).port));
