/**
 * transfer() beyond a bare ArrayBuffer, over a real worker_threads worker: a typed array or
 * DataView moves its buffer and arrives as the same kind of view (offset and length kept);
 * a MessagePort is handed over and the worker talks on it; over a socket a MessagePort is
 * refused, not turned into `{}`.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { MessageChannel, Worker } from "node:worker_threads";
import { close, connect, serve, transfer, type Remote } from "../../src/index.js";
import { rejection } from "../helpers/bounded.js";
import { tsWorker } from "../helpers/ts-worker.js";
import type { TransferService } from "../fixtures/worker/transfer-service.js";

const SERVICE = new URL("../fixtures/worker/transfer-service.ts", import.meta.url);
const serviceWorker = (): Worker => tsWorker(SERVICE);

describe("transfer() of views and ports to a worker_threads worker", () => {
  let worker: Worker;
  let remote: Remote<TransferService>;

  before(async () => {
    worker = serviceWorker();
    remote = await connect<TransferService>(worker, { logger: false });
  });
  after(() => worker.terminate());

  it("a Uint8Array window marked with transfer() arrives as the same window on its moved buffer, and the caller's buffer is detached", async () => {
    const buffer = new ArrayBuffer(1 << 20);
    const window = new Uint8Array(buffer, 16, 1000).fill(9);
    const there = await remote.describe(transfer(window));
    assert.deepEqual(there, { kind: "[object Uint8Array]", byteOffset: 16, byteLength: 1000, bufferBytes: 1 << 20, first: 9 });
    assert.equal(buffer.byteLength, 0, "the whole buffer moved");
    assert.equal(window.length, 0, "the caller's view is detached with it");
  });

  it("a Float64Array and a DataView keep their kind", async () => {
    const floats = new Float64Array([1.5, 2.5]);
    assert.equal((await remote.describe(transfer(floats))).kind, "[object Float64Array]");
    assert.equal(floats.length, 0);
    const view = new DataView(new ArrayBuffer(64), 8, 32);
    assert.deepEqual(await remote.describe(transfer(view)), { kind: "[object DataView]", byteOffset: 8, byteLength: 32, bufferBytes: 64, first: 0 });
    assert.equal(view.buffer.byteLength, 0);
  });

  it("two marked views on one buffer cross in one message and still share one buffer", async () => {
    const buffer = new ArrayBuffer(100);
    const a = new Uint8Array(buffer, 0, 10).fill(1);
    const b = new Uint8Array(buffer, 50, 10).fill(2);
    const there = await remote.describePair(transfer(a), transfer(b));
    assert.equal(there.sameBuffer, true);
    assert.deepEqual([there.a.byteOffset, there.a.first, there.b.byteOffset, there.b.first], [0, 1, 50, 2]);
    assert.equal(buffer.byteLength, 0);
  });

  it("a view the worker returns with transfer() is moved back: a Float64Array here, detached there", async () => {
    const floats = await remote.makeFloats(1000);
    assert.ok(floats instanceof Float64Array);
    assert.deepEqual([floats.length, floats[0], floats[999]], [1000, 0.5, 999.5]);
    assert.equal(await remote.madeByteLength(), 0);
  });

  it("an unmarked view is copied: the caller keeps it", async () => {
    const kept = new Uint16Array([7, 8, 9]);
    assert.equal((await remote.describe(kept)).kind, "[object Uint16Array]");
    assert.equal(kept.length, 3);
  });

  it("a MessagePort handed to the worker (marked or not) becomes its own channel: the worker serves on it and this thread calls over it", async () => {
    for (const mark of [true, false]) {
      const { port1, port2 } = new MessageChannel();
      assert.equal(await remote.servePortHere(mark ? transfer(port2) : port2), true, "arrived as a MessagePort");
      const direct = await connect<{ hello(name: string): string }>(port1 as never, { logger: false });
      assert.equal(await direct.hello("main"), "hello main, from the worker");
      await close(direct);
    }
  });
});

describe("transfer() refusals", () => {
  it("transfer() refuses what it cannot move: a Node Buffer, a string, a plain object", () => {
    assert.throws(() => transfer(Buffer.from("abc") as never), { name: "TypeError", message: /cannot move a Node Buffer.*new Uint8Array\(buf\.buffer/ });
    assert.throws(() => transfer("bytes" as never), { name: "TypeError", message: /ArrayBuffer, a typed array or DataView, or a MessagePort, got \[object String\]/ });
    assert.throws(() => transfer({} as never), { name: "TypeError", message: /got \[object Object\]/ });
  });

  it("a MessagePort over tcp:// fails the call with INVALID_PARAMS instead of arriving as {}", async () => {
    const server = await serve({ take: (p: unknown) => typeof p }, { listen: "tcp://127.0.0.1:0", logger: false });
    const remote = await connect<{ take(p: unknown): string }>(server.addresses[0]!, { logger: false });
    const { port1, port2 } = new MessageChannel();
    try {
      const error = await rejection(remote.take(port1), 5000, "a call passing a MessagePort over tcp://");
      assert.equal(error.code, "INVALID_PARAMS");
      assert.match(error.message, /MessagePort can only be passed over a MessagePort session/);
      const marked = await rejection(remote.take(transfer(port2)), 5000, "a call passing a marked MessagePort over tcp://");
      assert.equal(marked.code, "INVALID_PARAMS");
      assert.equal(await remote.take(transfer(new Uint8Array(3))), "object", "a marked view over a socket is copied as usual");
    } finally {
      port1.close();
      await close(remote);
      await server.close({ drainMs: 0 });
    }
  });
});
