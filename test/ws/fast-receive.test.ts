/**
 * Small binary WebSocket messages read in place from each chunk (src/ws/fast-receive.ts),
 * against a real `ws` server fed hand-made frames over a raw TCP socket: every message
 * arrives once, byte-exact and in order, whether read in place or left to `ws`; anything
 * else (pings, text, fragments, large or cut frames) is still `ws`'s, and a broken frame is
 * refused with the close code `ws` itself gives.
 */
import assert from "node:assert/strict";
import { connect as tcpConnect, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { WebSocket, WebSocketServer } from "ws";
import { installFastReceive } from "../../src/ws/fast-receive.js";
import { until } from "../helpers/bounded.js";

type Got = { via: "fast" | "ws" | "text"; data: Buffer };

const MAX_PAYLOAD = 100_000;

/** A client frame: FIN unless `fin` is false, masked unless `mask` is false, `rsv` bits as given. */
function frame(opcode: number, payload: Buffer, { fin = true, mask = true, rsv = 0 } = {}): Buffer {
  const n = payload.length;
  const head = n < 126 ? [n] : n < 65536 ? [126, n >> 8, n & 0xff] : [127, 0, 0, 0, 0, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
  head[0]! |= mask ? 0x80 : 0;
  const key = mask ? Buffer.from([0x12, 0x34, 0x56, 0x78]) : Buffer.alloc(0);
  const body = Buffer.from(payload);
  if (mask) for (let i = 0; i < body.length; i++) body[i]! ^= key[i & 3]!;
  return Buffer.concat([Buffer.from([(fin ? 0x80 : 0) | rsv | opcode, ...head]), key, body]);
}

/** The code of the close frame in what the server sent, if one came (server frames are unmasked). */
function closeCodeIn(replies: Buffer[]): number | undefined {
  const all = Buffer.concat(replies);
  const at = all.indexOf(0x88);
  return at >= 0 && all.length >= at + 4 ? all.readUInt16BE(at + 2) : undefined;
}

const binary = (payload: Buffer, options?: { fin?: boolean; mask?: boolean; rsv?: number }): Buffer => frame(0x2, payload, options);
const bytes = (n: number, seed: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff));

describe("small binary messages read in place from ws's chunks", () => {
  let wss: WebSocketServer;
  let port: number;
  /** What the newest server-side connection received, in order. */
  let got: Got[];
  let installed: boolean;
  let connections = 0;

  before(async () => {
    wss = new WebSocketServer({ host: "127.0.0.1", port: 0, maxPayload: MAX_PAYLOAD, perMessageDeflate: false });
    await new Promise<void>((resolve) => wss.once("listening", resolve));
    port = (wss.address() as { port: number }).port;
    wss.on("connection", (socket) => {
      got = [];
      socket.binaryType = "nodebuffer";
      socket.on("message", (data, isBinary) => got.push({ via: isBinary ? "ws" : "text", data: Buffer.from(data as Buffer) }));
      socket.on("error", () => {});
      installed = installFastReceive(socket, (data) => got.push({ via: "fast", data: Buffer.from(data) }));
      connections++;
    });
  });
  after(() => wss.close());

  /** A raw TCP client past the HTTP upgrade; `replies` collects what the server sends. */
  async function rawClient(to = port): Promise<{ socket: Socket; replies: Buffer[] }> {
    const before = connections;
    const socket = tcpConnect(to, "127.0.0.1");
    socket.setNoDelay(true);
    const replies: Buffer[] = [];
    await new Promise<void>((resolve, reject) => {
      let head = Buffer.alloc(0);
      const onData = (chunk: Buffer): void => {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf("\r\n\r\n");
        if (end < 0) return;
        socket.off("data", onData);
        if (!head.subarray(0, end).toString().startsWith("HTTP/1.1 101")) reject(new Error(head.toString()));
        if (head.length > end + 4) replies.push(head.subarray(end + 4));
        socket.on("data", (more: Buffer) => replies.push(more));
        resolve();
      };
      socket.on("data", onData);
      socket.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    });
    await until(5000, "the server's connection", () => connections > before);
    return { socket, replies };
  }

  it("installs on ws 8's Receiver", async () => {
    const { socket } = await rawClient();
    assert.equal(installed, true);
    socket.destroy();
  });

  it("whole small messages in one chunk arrive in order and byte-exact, 7- and 16-bit lengths, up to 16 KiB in place and past it through ws", async () => {
    const { socket } = await rawClient();
    const sizes = [0, 1, 3, 4, 5, 125, 126, 127, 1000, 65535 - 49151, 16 * 1024, 16 * 1024 + 1, 70_000, 2];
    const payloads = sizes.map((n, i) => bytes(n, i));
    socket.write(Buffer.concat(payloads.map((p) => binary(p))));
    await until(5000, "every message", () => got.length === payloads.length);
    assert.deepEqual(got.map((g) => g.data), payloads);
    // Read in place up to the first large one; the rest of that chunk is ws's.
    assert.deepEqual(got.map((g) => g.via), sizes.map((_, i) => (i < 11 ? "fast" : "ws")));
    socket.destroy();
  });

  it("a ping, a text message and a fragmented message between binary ones keep their order, and the ping is answered", async () => {
    const { socket, replies } = await rawClient();
    const a = bytes(10, 1), b = bytes(20, 2), c = bytes(30, 3), d = bytes(40, 4);
    socket.write(Buffer.concat([binary(a), frame(0x9, Buffer.from("hi")), binary(b), frame(0x1, Buffer.from("text")), binary(c.subarray(0, 10), { fin: false }), frame(0x0, c.subarray(10))]));
    await until(5000, "four messages", () => got.length === 4);
    socket.write(binary(d));
    await until(5000, "the fifth", () => got.length === 5);
    assert.deepEqual(got, [
      { via: "fast", data: a },
      { via: "ws", data: b },
      { via: "text", data: Buffer.from("text") },
      { via: "ws", data: c },
      { via: "fast", data: d },
    ]);
    await until(5000, "the pong", () => Buffer.concat(replies).includes(Buffer.from([0x8a, 0x02, 0x68, 0x69])));
    socket.destroy();
  });

  it("a frame cut across chunks at any point arrives once, whole", async () => {
    const payload = bytes(300, 9);
    const whole = binary(payload);
    for (const cut of [1, 2, 3, 4, 5, 8, 100, whole.length - 1]) {
      const { socket } = await rawClient();
      socket.write(Buffer.concat([binary(bytes(5, 0)), whole.subarray(0, cut)]));
      await until(5000, "the first message", () => got.length === 1);
      socket.write(Buffer.concat([whole.subarray(cut), binary(bytes(6, 0))]));
      await until(5000, `both messages after a cut at ${cut}`, () => got.length === 3);
      assert.deepEqual(got.map((g) => g.data), [bytes(5, 0), payload, bytes(6, 0)], `cut at ${cut}`);
      socket.destroy();
    }
  });

  for (const [what, bad, code] of [
    ["an unmasked frame from a client", binary(bytes(10, 0), { mask: false }), 1002],
    ["a frame with RSV1 set (no compression was agreed)", binary(bytes(10, 0), { rsv: 0x40 }), 1002],
    [`a message over maxPayload ${MAX_PAYLOAD}`, binary(bytes(MAX_PAYLOAD + 1, 0)), 1009],
  ] as const) {
    it(`${what} is refused as ws refuses it: close ${code}`, async () => {
      const { socket, replies } = await rawClient();
      socket.write(Buffer.concat([binary(bytes(7, 0)), bad, binary(bytes(8, 0))]));
      await until(5000, "the server's close frame", () => closeCodeIn(replies) !== undefined);
      assert.equal(closeCodeIn(replies), code);
      assert.deepEqual(got.map((g) => g.data), [bytes(7, 0)], "nothing after the bad frame was delivered");
      socket.destroy();
    });
  }

  it("under a maxPayload smaller than 16 KiB, a message past it with a 16-bit length is refused: close 1009", async () => {
    const small = new WebSocketServer({ host: "127.0.0.1", port: 0, maxPayload: 500, perMessageDeflate: false });
    await new Promise<void>((resolve) => small.once("listening", resolve));
    small.on("connection", (socket) => wss.emit("connection", socket));
    try {
      const { socket, replies } = await rawClient((small.address() as { port: number }).port);
      socket.write(Buffer.concat([binary(bytes(500, 0)), binary(bytes(501, 0)), binary(bytes(8, 0))]));
      await until(5000, "the server's close frame", () => closeCodeIn(replies) !== undefined);
      assert.equal(closeCodeIn(replies), 1009);
      assert.deepEqual(got, [{ via: "fast", data: bytes(500, 0) }]);
      socket.destroy();
    } finally {
      small.close();
    }
  });

  it("on a client, unmasked server messages are read in place and arrive in order among ws's", async () => {
    const payloads = [bytes(1, 1), bytes(200, 2), bytes(20_000, 3), bytes(10, 4), bytes(5000, 5)];
    // Sent once the client has installed (its hello), so they are not parsed with the 101 answer.
    wss.once("connection", (server) => {
      server.once("message", () => {
        for (const p of payloads) server.send(p, { binary: true });
        server.ping("p");
        server.send(bytes(9, 9), { binary: true });
      });
    });
    const client = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false });
    const received: Got[] = [];
    client.binaryType = "nodebuffer";
    client.on("message", (data) => received.push({ via: "ws", data: Buffer.from(data as Buffer) }));
    await new Promise<void>((resolve) => client.once("open", resolve));
    assert.equal(installFastReceive(client, (data) => received.push({ via: "fast", data: Buffer.from(data) })), true);
    client.send("hello");
    await until(5000, "every message", () => received.length === payloads.length + 1);
    assert.deepEqual(received.map((r) => r.data), [...payloads, bytes(9, 9)]);
    assert.ok(received.some((r) => r.via === "fast"), "some were read in place");
    client.close();
  });
});
