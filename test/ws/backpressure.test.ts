// Backpressure on a WebSocket: a stream producer waits while more than 1 MiB is queued on
// the socket (room() polls bufferedAmount, as ws has no drain event). A client whose
// connection stops reading (a proxy that stops forwarding) holds the producer back well
// inside the stream's credit window, and once it reads again the stream goes on in order.
import assert from "node:assert/strict";
import { once } from "node:events";
import { createConnection, createServer, type Server as NetServer, type Socket } from "node:net";
import { describe, it } from "node:test";
import { connect, serve } from "../../src/index.js";
import { within } from "../helpers/bounded.js";

const ITEM_BYTES = 4 * 1024 * 1024;
/** The consumer's default credit (core/stream-import.ts STREAM_WINDOW): what credit alone would let out. */
const CREDIT_WINDOW = 16;

/** A TCP proxy to `port` whose server side can be paused: what arrives stays in the kernel. */
async function stallingProxy(port: number): Promise<{ server: NetServer; port: number; upstream: () => Socket | undefined }> {
  let upstream: Socket | undefined;
  const server = createServer((client) => {
    const up = createConnection({ host: "127.0.0.1", port });
    upstream = up;
    client.pipe(up);
    up.pipe(client);
    client.on("error", () => up.destroy());
    up.on("error", () => client.destroy());
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { server, port: (server.address() as { port: number }).port, upstream: () => upstream };
}

/** Resolves once `read()` has stopped changing for `quietMs`. */
async function settled(read: () => number, quietMs: number): Promise<number> {
  let last = read();
  for (;;) {
    await new Promise((r) => setTimeout(r, quietMs));
    const now = read();
    if (now === last) return now;
    last = now;
  }
}

describe("backpressure on a WebSocket", () => {
  it("a reader that stops reading holds the stream's producer back, and the stream resumes in order", { timeout: 60_000 }, async () => {
    let produced = 0;
    const api = {
      async *chunks() {
        for (let i = 0; ; i++) {
          produced++;
          const chunk = new Uint8Array(ITEM_BYTES);
          chunk[0] = i % 256;
          yield chunk;
        }
      },
    };
    const server = await serve(api, { listen: "ws://127.0.0.1:0", logger: false });
    const proxy = await stallingProxy(Number(new URL(server.addresses[0]!).port));
    try {
      const remote = await connect<typeof api>(`ws://127.0.0.1:${proxy.port}/`, { logger: false, reconnect: false });
      const iterator = (await remote.chunks())[Symbol.asyncIterator]();
      // The connection stops reading from the server before the first item is asked for
      // (the client's credit still reaches the server), so nothing the producer makes gets
      // through, however slow this machine is.
      proxy.upstream()!.pause();
      const first = iterator.next();
      const held = await within(settled(() => produced, 500), 20_000, "the producer to stop");
      // Credit alone would let all 16 out; the kernel's socket buffers take a few more
      // than room()'s 1 MiB.
      assert.ok(held < CREDIT_WINDOW / 2, `${held} chunks of 4 MiB produced while the reader was stalled (credit allows ${CREDIT_WINDOW})`);
      proxy.upstream()!.resume();
      assert.equal((await within(first, 10_000, "the first chunk")).value![0], 0);
      for (let i = 1; i < held + 4; i++) {
        const next = await within(iterator.next(), 10_000, `chunk ${i}`);
        assert.equal(next.value![0], i % 256, `chunk ${i} in order`);
      }
      await iterator.return?.();
      await (remote as unknown as { [Symbol.asyncDispose](): Promise<void> })[Symbol.asyncDispose]();
    } finally {
      proxy.server.close();
      await server.close({ drainMs: 0 });
    }
  });
});
