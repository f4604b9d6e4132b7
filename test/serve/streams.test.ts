// Streams over a real connection: async iterables as results and as arguments, with
// credit-based flow control, early stops that reach the producer, errors and disconnects.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ReadableStream } from "node:stream/web";
import { close, connect, RpcError, serve } from "../../src/index.js";
import { MAX_STREAM_WINDOW } from "../../src/core/stream-import.js";
import { rejectsWith, until, within } from "../helpers/bounded.js";
import { collectGarbage } from "../helpers/gc.js";

function makeApi() {
  const state = { produced: 0, finallyRan: 0, uploadedChunks: 0 };
  const api = {
    logs: {
      async *tail(app: string, count: number) {
        try {
          for (let i = 0; i < count; i++) {
            state.produced++;
            yield `${app} line ${i}`;
          }
        } finally {
          state.finallyRan++;
        }
      },
      async *endless() {
        try {
          for (let i = 0; ; i++) {
            state.produced++;
            yield i;
          }
        } finally {
          state.finallyRan++;
        }
      },
      async *failing() {
        yield 1;
        throw new RpcError("DISK_GONE", "the log disk went away", { device: "sdb" });
      },
      async *values() {
        yield new Date(5);
        yield new Map([["k", new Set([1n])]]);
        yield new Uint8Array([1, 2, 3]);
      },
      readable(n: number) {
        let i = 0;
        return new ReadableStream<number>({
          pull(controller) {
            if (i < n) controller.enqueue(i++);
            else controller.close();
          },
        });
      },
    },
    uploads: {
      async save(name: string, chunks: AsyncIterable<Uint8Array>): Promise<string> {
        let bytes = 0;
        for await (const chunk of chunks) {
          state.uploadedChunks++;
          bytes += chunk.length;
        }
        return `${name}: ${bytes} bytes`;
      },
      async head(chunks: AsyncIterable<number>, n: number): Promise<number[]> {
        const out: number[] = [];
        for await (const c of chunks) {
          out.push(c);
          if (out.length === n) break;
        }
        return out;
      },
      ignore: (_chunks: AsyncIterable<unknown>) => "ignored",
    },
  };
  return { api, state };
}

async function setup(t: import("node:test").TestContext) {
  const { api, state } = makeApi();
  const server = await serve(api, { listen: "tcp://127.0.0.1:0", logger: false });
  t.after(() => server.close({ drainMs: 0 }));
  const remote = await connect<typeof api>(server.addresses[0], { logger: false });
  t.after(() => close(remote));
  return { remote, state, server };
}

test("an async generator handler streams its items to a for-await loop, in order", async (t) => {
  const { remote, state } = await setup(t);
  const lines: string[] = [];
  for await (const line of await remote.logs.tail("app", 100)) lines.push(line);
  assert.equal(lines.length, 100);
  assert.equal(lines[0], "app line 0");
  assert.equal(lines[99], "app line 99");
  assert.equal(state.finallyRan, 1);
});

test("10,000 items stream through with flow control and none is lost", async (t) => {
  const { remote } = await setup(t);
  let count = 0;
  let last = "";
  for await (const line of await remote.logs.tail("big", 10_000)) {
    count++;
    last = line;
  }
  assert.equal(count, 10_000);
  assert.equal(last, "big line 9999");
});

test("a slow consumer bounds the producer: it runs at most one window ahead", async (t) => {
  const { remote, state } = await setup(t);
  const stream = await remote.logs.endless();
  const it = stream[Symbol.asyncIterator]();
  assert.equal((await it.next()).value, 0);
  await until(2000, "the producer filled the window", () => state.produced >= MAX_STREAM_WINDOW);
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.ok(state.produced <= MAX_STREAM_WINDOW + 1, `produced ${state.produced} items for a consumer that took 1`);
  await it.return!();
});

test("nothing is produced until the consumer starts reading", async (t) => {
  const { remote, state } = await setup(t);
  const stream = await remote.logs.endless();
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(state.produced, 0);
  await stream.return();
});

test("break in the consumer stops the producer and runs its finally", async (t) => {
  const { remote, state } = await setup(t);
  const seen: number[] = [];
  for await (const n of await remote.logs.endless()) {
    seen.push(n);
    if (n === 40) break;
  }
  assert.equal(seen.length, 41);
  await until(2000, "the producer's finally ran", () => state.finallyRan === 1);
  const producedAtStop = state.produced;
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(state.produced, producedAtStop, "the producer made nothing after the stop");
});

test("an error thrown by the producer reaches the consumer with its code and data", async (t) => {
  const { remote } = await setup(t);
  const got: number[] = [];
  const err = await rejectsWith(
    (async () => {
      for await (const n of await remote.logs.failing()) got.push(n);
    })(),
    "DISK_GONE",
    2000,
    "producer error",
  );
  assert.deepEqual(got, [1], "items before the error arrive first");
  assert.deepEqual(err.data, { device: "sdb" });
});

test("stream items carry every extended type", async (t) => {
  const { remote } = await setup(t);
  const items: unknown[] = [];
  for await (const v of await remote.logs.values()) items.push(v);
  assert.deepEqual(items, [new Date(5), new Map([["k", new Set([1n])]]), new Uint8Array([1, 2, 3])]);
});

test("a web ReadableStream returned by a handler streams like an async generator", async (t) => {
  const { remote } = await setup(t);
  const got: number[] = [];
  for await (const n of await remote.logs.readable(50)) got.push(n as number);
  assert.deepEqual(got, Array.from({ length: 50 }, (_, i) => i));
});

test("a disconnect ends the consumer with UNAVAILABLE and runs the producer's finally", async (t) => {
  const { remote, state, server } = await setup(t);
  const stream = await remote.logs.endless();
  const it = stream[Symbol.asyncIterator]();
  await it.next();
  await server.close({ drainMs: 0 });
  await rejectsWith(
    (async () => {
      for (;;) if ((await it.next()).done) return;
    })(),
    "UNAVAILABLE",
    2000,
    "consumer after disconnect",
  );
  await until(2000, "the producer's finally ran", () => state.finallyRan === 1);
});

test("an AsyncIterable argument uploads with backpressure, and the handler's result follows", async (t) => {
  const { remote, state } = await setup(t);
  let pulled = 0;
  let clientFinally = false;
  async function* fileChunks() {
    try {
      for (let i = 0; i < 200; i++) {
        pulled++;
        yield new Uint8Array(1024).fill(i);
      }
    } finally {
      clientFinally = true;
    }
  }
  assert.equal(await within(remote.uploads.save("big.bin", fileChunks()), 5000, "upload"), "big.bin: 204800 bytes");
  assert.equal(pulled, 200);
  assert.equal(state.uploadedChunks, 200);
  assert.ok(clientFinally);
});

test("a handler that stops reading an argument stream early stops the caller's generator", async (t) => {
  const { remote } = await setup(t);
  let clientFinally = false;
  let pulled = 0;
  async function* numbers() {
    try {
      for (let i = 0; ; i++) {
        pulled++;
        yield i;
      }
    } finally {
      clientFinally = true;
    }
  }
  assert.deepEqual(await remote.uploads.head(numbers(), 3), [0, 1, 2]);
  await until(2000, "the caller's generator was closed", () => clientFinally);
  assert.ok(pulled <= 3 + MAX_STREAM_WINDOW, `pulled ${pulled}`);
});

test("an argument stream the handler never reads is closed when the handler returns, never pulled", async (t) => {
  const { remote } = await setup(t);
  let pulled = 0;
  let returned = false;
  const source: AsyncIterable<number> = {
    [Symbol.asyncIterator]: () => ({
      next: async () => ({ value: pulled++, done: false }),
      return: async () => {
        returned = true;
        return { value: undefined, done: true };
      },
    }),
  };
  // A plain object with Symbol.asyncIterator is data, not a stream: wrap it in a class.
  class Source {
    [Symbol.asyncIterator]() {
      return source[Symbol.asyncIterator]();
    }
  }
  assert.equal(await remote.uploads.ignore(new Source()), "ignored");
  await until(2000, "the unread source was closed", () => returned);
  assert.equal(pulled, 0);
});

test("a consumer waiting for the next item is not garbage collected: the stream goes on through collections", async (t) => {
  const server = await serve(
    {
      async *slow(n: number) {
        for (let i = 0; i < n; i++) {
          await new Promise((resolve) => setTimeout(resolve, 150));
          yield i;
        }
      },
    },
    { listen: "tcp://127.0.0.1:0", logger: false },
  );
  t.after(() => server.close({ drainMs: 0 }));
  const remote = await connect<{ slow(n: number): AsyncGenerator<number> }>(server.addresses[0], { logger: false });
  t.after(() => close(remote));
  // Nothing but the suspended loop holds the stream while it waits.
  const done = (async () => {
    let count = 0;
    for await (const _ of await remote.slow(4)) count++;
    return count;
  })();
  for (let i = 0; i < 6; i++) {
    await new Promise((resolve) => setTimeout(resolve, 60));
    await collectGarbage(2);
  }
  assert.equal(await within(done, 5000, "the stream read through garbage collections"), 4);
});

test("server.close() lets a stream being read finish within drainMs: the consumer gets every item, then the server closes", async (t) => {
  const server = await serve(
    {
      async *ticks(n: number) {
        for (let i = 0; i < n; i++) {
          await new Promise((resolve) => setTimeout(resolve, 30));
          yield i;
        }
      },
    },
    { listen: "tcp://127.0.0.1:0", logger: false },
  );
  const remote = await connect<{ ticks(n: number): AsyncGenerator<number> }>(server.addresses[0], { logger: false, reconnect: false });
  t.after(() => close(remote));
  const got: number[] = [];
  let closing: Promise<void> | undefined;
  for await (const n of await remote.ticks(10)) {
    got.push(n);
    if (n === 1) closing = server.close({ drainMs: 5000 });
  }
  assert.deepEqual(got, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], "the stream ran to its end through the drain");
  await within(closing!, 5000, "server.close() once the stream ended");
});
