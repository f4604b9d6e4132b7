// farcall/1 over ports: a worker_threads worker serves an API on parentPort and the main
// thread calls it with connect(worker); both ends of one MessageChannel in one thread too.
// Calls, errors with code and data, callbacks, streams, bytes, and the end of the worker.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { MessageChannel, Worker } from "node:worker_threads";
import { close, connect, serve, servePort, transfer, type Remote } from "../../src/index.js";
import { rejection } from "../helpers/bounded.js";
import { tsWorker } from "../helpers/ts-worker.js";
import type { Service } from "../fixtures/worker/service.js";

const SERVICE = new URL("../fixtures/worker/service.ts", import.meta.url);
const serviceWorker = (): Worker => tsWorker(SERVICE);

describe("connect(worker) to a worker_threads worker serving on parentPort", () => {
  let worker: Worker;
  let remote: Remote<Service>;

  before(async () => {
    worker = serviceWorker();
    remote = await connect<Service>(worker, { logger: false });
  });
  after(() => worker.terminate());

  it("a call is answered", async () => {
    assert.equal(await remote.add(2, 3), 5);
  });

  it("an RpcError keeps its code, message and data", async () => {
    const error = await rejection(remote.fail(), 5000, "fail()");
    assert.deepEqual({ code: error.code, message: error.message, data: error.data }, { code: "OUT_OF_STOCK", message: "sku a1 is out of stock", data: { sku: "a1" } });
  });

  it("a callback is fired by the worker 1,000 times, in order", async () => {
    const seen: number[] = [];
    assert.equal(await remote.fire(1000, async (i) => void seen.push(i)), 1000);
    assert.deepEqual(seen, Array.from({ length: 1000 }, (_, i) => i));
  });

  it("a stream is read with for await", async () => {
    const read: number[] = [];
    for await (const n of await remote.numbers(5)) read.push(n);
    assert.deepEqual(read, [0, 1, 2, 3, 4]);
  });

  it("bytes arrive as bytes", async () => {
    assert.equal(await remote.bytes(new Uint8Array(70_000)), 70_000);
  });

  it("an ArrayBuffer marked with transfer() is moved to the worker: the caller's buffer is detached and the worker reads every byte", async () => {
    const buffer = new Uint8Array(1024 * 1024).fill(1).buffer;
    assert.deepEqual(await remote.sumBuffer(transfer(buffer)), { isArrayBuffer: true, sum: 1024 * 1024 });
    assert.equal(buffer.byteLength, 0, "detached: moved, not copied");
  });

  it("an ArrayBuffer the worker returns with transfer() is moved back: the worker's buffer is detached", async () => {
    const got = await remote.makeBuffer(4096);
    assert.ok(got instanceof ArrayBuffer);
    assert.equal(got.byteLength, 4096);
    assert.equal(new Uint8Array(got)[4095], 7);
    assert.equal(await remote.madeByteLength(), 0);
  });

  it("an ArrayBuffer not marked is copied: the caller keeps its buffer", async () => {
    const buffer = new Uint8Array(1000).fill(2).buffer;
    assert.deepEqual(await remote.sumBuffer(buffer), { isArrayBuffer: true, sum: 2000 });
    assert.equal(buffer.byteLength, 1000);
  });

  it("when the worker exits, calls fail with UNAVAILABLE naming the exit code", async () => {
    const other = serviceWorker();
    const doomed = await connect<Service>(other, { logger: false });
    assert.equal(await doomed.exit(), "bye");
    const error = await rejection(doomed.numbers(1e9).then(async (s) => { for await (const _ of s); }), 5000, "a call to an exited worker");
    assert.equal(error.code, "UNAVAILABLE");
    assert.match(error.message, /exited \(code 3\)/);
  });
});

describe("both ends of one MessageChannel", () => {
  it("servePort on one port, connect on the other, both in this thread", async () => {
    const { port1, port2 } = new MessageChannel();
    const served = servePort({ twice: (n: number) => n * 2 }, port1, { logger: false });
    const remote = await connect<{ twice(n: number): number }>(port2, { logger: false });
    try {
      assert.equal(await remote.twice(21), 42);
    } finally {
      await close(remote);
      served.close();
    }
  });
});

describe("transfer() over a socket", () => {
  it("means nothing over tcp://: the bytes are copied and the sender keeps its buffer", async () => {
    const server = await serve({ sum: (b: ArrayBuffer) => new Uint8Array(b).reduce((a, x) => a + x, 0) }, { listen: "tcp://127.0.0.1:0", logger: false });
    const remote = await connect<{ sum(b: ArrayBuffer): number }>(server.addresses[0]!, { logger: false });
    try {
      const buffer = new Uint8Array(100).fill(3).buffer;
      assert.equal(await remote.sum(transfer(buffer)), 300);
      assert.equal(buffer.byteLength, 100);
    } finally {
      await close(remote);
      await server.close({ drainMs: 0 });
    }
  });

  it("refuses what it cannot move, naming it", () => {
    assert.throws(() => transfer(new Map() as never), /transfer\(\) takes an ArrayBuffer, a typed array or DataView, or a MessagePort, got \[object Map\]/);
  });
});
