/**
 * The floor server: node:net, the farcall/1 framing, an opcode per request, nothing else.
 * Replies produced from one incoming chunk go out in one write (cork/uncork), which is the
 * least a framed protocol can do when many requests arrive together.
 */
import { createServer, type AddressInfo, type Socket } from "node:net";
import { announcePort, die, watchParent } from "../child.js";
import { FrameReader, frameHeader } from "./framing.js";
import { MAX_FRAME_BYTES, OP } from "./protocol.js";

const counters = new Map<string, number>();

function answer(socket: Socket, body: Buffer): void {
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
    default:
      throw new RangeError(`unknown opcode ${body[0]}`);
  }
}

function onConnection(socket: Socket): void {
  socket.setNoDelay(true);
  const reader = new FrameReader(MAX_FRAME_BYTES, (body) => answer(socket, body));
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
