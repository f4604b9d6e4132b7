// Accepted sockets read into the process's one shared read buffer (Node's kBuffer machinery,
// which dialed sockets reach through `onread`), or through 'data' where that is unavailable:
// both paths must deliver every byte in order and keep pause, end and half-open as streams do.
import assert from "node:assert/strict";
import { once } from "node:events";
import { test } from "node:test";
import { connect, createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readAccepted } from "../../src/net/accepted-input.js";

function pattern(length: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) out[i] = (i * 131 + seed + (i >> 9)) & 0xff;
  return out;
}

interface Reading {
  socket: Socket;
  usedBuffer: boolean;
  chunks: Buffer[];
  /** The buffers reads were views of. */
  memory: Set<ArrayBufferLike>;
  reusedFlags: Set<boolean>;
  bytes(): number;
}

/** A server whose every accepted socket is read with readAccepted; `prepare` runs first. */
async function listen(path: string | undefined, prepare: (socket: Socket) => void = () => {}, allowHalfOpen = false): Promise<{ server: Server; target: string | number; accepted: Promise<Reading> }> {
  let resolve!: (r: Reading) => void;
  const accepted = new Promise<Reading>((r) => (resolve = r));
  const server = createServer({ allowHalfOpen }, (socket) => {
    prepare(socket);
    const chunks: Buffer[] = [];
    const memory = new Set<ArrayBufferLike>();
    const reusedFlags = new Set<boolean>();
    const usedBuffer = readAccepted(socket, (chunk, reused) => {
      memory.add(chunk.buffer);
      reusedFlags.add(reused);
      chunks.push(Buffer.from(chunk));
    });
    resolve({ socket, usedBuffer, chunks, memory, reusedFlags, bytes: () => chunks.reduce((n, c) => n + c.length, 0) });
  });
  if (path) server.listen(path);
  else server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { server, target: path ?? (server.address() as AddressInfo).port, accepted };
}

function dial(target: string | number, allowHalfOpen = false): Socket {
  return typeof target === "string" ? connect({ path: target, allowHalfOpen }) : connect({ port: target, host: "127.0.0.1", allowHalfOpen });
}

/** Writes `data` in uneven pieces, then ends. */
async function send(socket: Socket, data: Buffer): Promise<void> {
  let pos = 0;
  let step = 1;
  while (pos < data.length) {
    const piece = data.subarray(pos, pos + step);
    pos += piece.length;
    step = (step * 7 + 13) % 200_000;
    if (!socket.write(piece)) await once(socket, "drain");
  }
  socket.end();
}

/** Dials, sends `data` and ends; resolves once the server side has read it all and seen 'end'. */
async function sendAll(target: string | number, accepted: Promise<Reading>, data: Buffer): Promise<Reading> {
  const client = dial(target);
  await once(client, "connect");
  const reading = await accepted;
  const ended = once(reading.socket, "end");
  await send(client, data);
  await ended;
  assert.ok(Buffer.concat(reading.chunks).equals(data), "every byte arrives, in order");
  client.destroy();
  return reading;
}

async function bytesInOrder(path: string | undefined): Promise<Reading> {
  const { server, target, accepted } = await listen(path);
  try {
    return await sendAll(target, accepted, pattern(3 * 1024 * 1024 + 17, 5));
  } finally {
    server.close();
  }
}

test("an accepted tcp:// socket reads every byte in order into one reused buffer, then 'end'", async () => {
  const reading = await bytesInOrder(undefined);
  assert.equal(reading.usedBuffer, true);
  assert.deepEqual([...reading.reusedFlags], [true]);
  assert.ok(reading.chunks.length > 10, `${reading.chunks.length} reads`);
  assert.equal(reading.memory.size, 1, "every read is a view of the same memory");
});

test("an accepted unix:// socket reads into the same shared buffer", async (t) => {
  if (process.platform === "win32") return t.skip("no unix sockets on Windows");
  const dir = await mkdtemp(join(tmpdir(), "farcall-accepted-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const reading = await bytesInOrder(join(dir, "s.sock"));
  assert.equal(reading.usedBuffer, true);
  assert.equal(reading.memory.size, 1);
});

test("two accepted sockets share the one read buffer", async () => {
  const first = await bytesInOrder(undefined);
  const second = await bytesInOrder(undefined);
  assert.deepEqual([...first.memory], [...second.memory]);
});

test("without the handle's useUserBuffer the socket is read through 'data', bytes and 'end' unchanged", async () => {
  const { server, target, accepted } = await listen(undefined, (socket) => {
    // What another Node, or a handle of another kind, looks like to the feature check.
    Object.defineProperty((socket as unknown as { _handle: object })._handle, "useUserBuffer", { value: undefined });
  });
  try {
    const reading = await sendAll(target, accepted, pattern(1024 * 1024 + 3, 9));
    assert.equal(reading.usedBuffer, false);
    assert.deepEqual([...reading.reusedFlags], [false]);
    assert.ok(reading.memory.size > 1, "each read has memory of its own");
  } finally {
    server.close();
  }
});

/** Pauses the reading side, fills the pipe, and checks nothing is read until resume. */
async function pauseStopsReads(prepare?: (socket: Socket) => void): Promise<boolean> {
  const { server, target, accepted } = await listen(undefined, prepare);
  try {
    const client = dial(target);
    await once(client, "connect");
    const reading = await accepted;
    client.write(pattern(1000, 1));
    while (reading.bytes() < 1000) await new Promise((r) => setTimeout(r, 5));
    reading.socket.pause();
    const data = pattern(8 * 1024 * 1024, 2);
    const sent = send(client, data);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(reading.bytes(), 1000, "no read is delivered while paused");
    assert.ok(client.writableLength > 0, "the writer is held back: the kernel's buffers are full");
    const ended = once(reading.socket, "end");
    reading.socket.resume();
    await sent;
    await ended;
    assert.equal(reading.bytes(), 1000 + data.length, "everything arrives after resume");
    assert.ok(Buffer.concat(reading.chunks).subarray(1000).equals(data));
    client.destroy();
    return reading.usedBuffer;
  } finally {
    server.close();
  }
}

test("pause() stops reads into the shared buffer and holds the writer back; resume() delivers the rest", async () => {
  assert.equal(await pauseStopsReads(), true);
});

test("pause() and resume() work the same through the 'data' fallback", async () => {
  assert.equal(await pauseStopsReads((socket) => Object.defineProperty((socket as unknown as { _handle: object })._handle, "useUserBuffer", { value: undefined })), false);
});

test("a half-open socket read through the shared buffer still answers after the peer's end", async () => {
  const { server, target, accepted } = await listen(undefined, () => {}, true);
  try {
    const client = dial(target, true);
    await once(client, "connect");
    const reading = await accepted;
    const answer: Buffer[] = [];
    client.on("data", (c: Buffer) => answer.push(c));
    const clientEnded = once(client, "end");
    client.end(pattern(70_000, 3));
    await once(reading.socket, "end");
    assert.equal(reading.usedBuffer, true);
    reading.socket.end(Buffer.concat(reading.chunks));
    await clientEnded;
    assert.ok(Buffer.concat(answer).equals(pattern(70_000, 3)), "the answer written after 'end' arrives whole");
    client.destroy();
  } finally {
    server.close();
  }
});

test("a socket reset by its peer closes with an error, read through the shared buffer", async () => {
  const { server, target, accepted } = await listen(undefined);
  try {
    const client = dial(target);
    await once(client, "connect");
    const reading = await accepted;
    let error: Error | undefined;
    reading.socket.on("error", (e) => (error = e));
    const closed = new Promise((resolve) => reading.socket.once("close", resolve));
    client.write("x");
    while (reading.bytes() < 1) await new Promise((r) => setTimeout(r, 5));
    client.resetAndDestroy();
    await closed;
    assert.equal(reading.usedBuffer, true);
    assert.equal((error as NodeJS.ErrnoException | undefined)?.code, "ECONNRESET");
  } finally {
    server.close();
  }
});

test("a large frame being filled is read straight into its own buffer, every frame intact", async () => {
  const { FrameReader } = await import("../../src/net/frame-reader.js");
  const frames: Buffer[] = [];
  const memories = new Set<ArrayBufferLike>();
  let inPlace = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const sizes = [1024 * 1024, 3, 200 * 1024, 70_000, 100, 1024 * 1024 + 5];
  const server = createServer((socket) => {
    const reader = new FrameReader(4 * 1024 * 1024, (buf, start, end) => {
      frames.push(Buffer.from(buf.subarray(start, end)));
      memories.add(buf.buffer);
      if (frames.length === sizes.length) done();
    }, (e) => assert.fail(e.message));
    readAccepted(socket, (chunk, reused) => {
      if (!reused) inPlace += chunk.length;
      reader.push(chunk, reused);
    }, () => reader.room());
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  try {
    const client = dial((server.address() as AddressInfo).port);
    await once(client, "connect");
    const stream = Buffer.concat(sizes.flatMap((size, i) => {
      const header = Buffer.alloc(4);
      header.writeUInt32BE(size);
      return [header, pattern(size, i)];
    }));
    await send(client, stream);
    await finished;
    sizes.forEach((size, i) => assert.ok(frames[i]!.equals(pattern(size, i)), `frame ${i} of ${size} B intact`));
    // The two 1 MiB frames are taken once an eighth has arrived; most of the rest lands in place.
    assert.ok(inPlace > 1024 * 1024, `${inPlace} B were read into a frame's own buffer`);
    client.destroy();
  } finally {
    server.close();
  }
});
