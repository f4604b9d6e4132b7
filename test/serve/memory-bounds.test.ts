// Memory a server holds for answers is bounded by maxWriteBufferBytes per connection and
// maxServerWriteBufferBytes over all of them, whatever its callers ask for. The server runs
// in a process of its own so its resident set can be read.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { close, connect, RpcError } from "../../src/index.js";
import { spawnNode, type TestProcess } from "../helpers/processes.js";
import { CALL, frame, pack, RawPeer } from "../fixtures/hostile/raw-peer.js";
import type { MemoryApi } from "../fixtures/memory/server.js";

const KEY = "memory-test-key";
const MIB = 1024 * 1024;
/** Per connection; small so the attacks stay tens of MB. */
const MAX_WRITE = 4 * MIB;
/** Over every connection. */
const MAX_SERVER_WRITE = 16 * MIB;
/**
 * glibc raises its mmap threshold after a large block is freed, and then keeps freed blocks
 * of that size resident: RSS would then measure the allocator's hold on garbage (answers
 * refused and collected), not what the server keeps. A fixed threshold gives large blocks
 * back when freed, so RSS tracks what is held. Without it, RSS ends up to about 60 MB over
 * the baseline here, against 200 MB to 600 MB before answers were counted as queued.
 */
const ALLOCATOR_RETURNS_FREED_MEMORY = { MALLOC_MMAP_THRESHOLD_: String(64 * 1024) };
/** The stored value each `get` answers with. */
const VALUE = 2 * MIB;

describe("answer memory is bounded per connection and per server", () => {
  let server: TestProcess;
  let url: string;
  let port: number;
  let probe: Awaited<ReturnType<typeof connect<MemoryApi>>>;
  let baseline: { rss: number; peakRss: number; arrayBuffers: number };

  before(async () => {
    server = spawnNode(["--expose-gc", "--import", "tsx", "test/fixtures/memory/server.ts", String(MAX_WRITE), String(MAX_SERVER_WRITE)], ALLOCATOR_RETURNS_FREED_MEMORY);
    url = (await server.nextLine(/^LISTENING (\S+)$/, 20_000))[1]!;
    port = Number(new URL(url).port);
    probe = await connect<MemoryApi>(url, { authkey: KEY });
    assert.equal(await probe.put(new Uint8Array(VALUE).fill(7)), VALUE);
    // Warm the paths the attacks use, so the baseline includes their code and pools.
    assert.equal((await probe.get()).length, VALUE);
    baseline = await probe.rssMb();
  });

  after(async () => {
    await close(probe);
    await server.stop();
  });

  /**
   * A handshaken raw peer that asks `calls` times for the stored value in one write and never
   * reads. With `get` the answers are all made in one turn of the event loop; with `getSoon`
   * one per turn, so past what the kernel's socket buffers take they pile up in the server's.
   */
  async function nonReader(calls: number, method: "get" | "getSoon"): Promise<RawPeer> {
    const peer = await RawPeer.open(port);
    assert.equal((await peer.handshake(KEY)).ok, true);
    peer.socket.pause();
    const frames: Buffer[] = [];
    for (let id = 1; id <= calls; id++) frames.push(frame(pack([CALL, id, method, []])));
    peer.write(Buffer.concat(frames));
    return peer;
  }

  /**
   * The server's memory now, asserted under baseline + 2 x `capBytes`; with `peak`, its
   * highest RSS too (for answers made in one turn, which would leave only a peak behind).
   */
  async function assertHeldUnder(capBytes: number, what: string, peak: boolean): Promise<void> {
    const now = await probe.rssMb();
    const capMb = capBytes / MIB;
    assert.ok(now.arrayBuffers < baseline.arrayBuffers + 2 * capMb, `buffers ${now.arrayBuffers.toFixed(1)} MB over baseline ${baseline.arrayBuffers.toFixed(1)} MB + 2 x ${what}`);
    assert.ok(now.rss < baseline.rss + 2 * capMb, `RSS ${now.rss.toFixed(1)} MB over baseline ${baseline.rss.toFixed(1)} MB + 2 x ${what}`);
    if (peak) assert.ok(now.peakRss < baseline.peakRss + 2 * capMb, `peak RSS ${now.peakRss.toFixed(1)} MB over baseline ${baseline.peakRss.toFixed(1)} MB + 2 x ${what}`);
  }

  it("100 large answers asked in one write by a peer that never reads: the server holds no more than maxWriteBufferBytes for it", async () => {
    // Unbounded, this queues 100 x 2 MiB = 200 MiB on one connection in one turn of the event loop.
    const peer = await nonReader(100, "get");
    try {
      // The probe's calls are answered after the attacker's: the server has handled them all.
      assert.equal(await probe.ping(), "pong");
      await assertHeldUnder(MAX_WRITE, "maxWriteBufferBytes", true);
    } finally {
      peer.destroy();
    }
  });

  it("30 non-reading connections asking 10 large answers each: the server-wide cap holds, and refuses a large answer to another caller while small calls work", async () => {
    // Unbounded, this queues 30 x 10 x 2 MiB = 600 MiB (less what the kernel takes); with
    // per-connection caps alone, up to 30 x 4 MiB = 120 MiB.
    const peers: RawPeer[] = [];
    try {
      for (let i = 0; i < 30; i++) peers.push(await nonReader(10, "getSoon"));
      assert.equal(await probe.ping(), "pong");
      // No peak here: the answers the kernel takes (about 4 MB a connection) are sent, and
      // the garbage of encoding them is not held.
      await assertHeldUnder(MAX_SERVER_WRITE, "maxServerWriteBufferBytes", false);
      await assert.rejects(probe.get(), (e: unknown) => {
        assert.ok(RpcError.is(e));
        assert.equal(e.code, "RESOURCE_EXHAUSTED");
        assert.match(e.message, /^get's answer of (at least )?\d+ B cannot be queued: \d+ B already queued for all peers \+ \d+ B exceed maxServerWriteBufferBytes 16777216$/);
        return true;
      });
      assert.equal(await probe.ping(), "pong");
    } finally {
      for (const peer of peers) peer.destroy();
    }
    // The budget is given back when those connections go: large answers flow again.
    assert.equal((await retryUntilOk(() => probe.get())).length, VALUE);
  });

  it("a caller asking more large answers at once than maxWriteBufferBytes holds: those over it fail alone with RESOURCE_EXHAUSTED, the rest and small calls succeed", async () => {
    const client = await connect<MemoryApi>(url, { authkey: KEY });
    try {
      const outcomes = await Promise.allSettled([...Array.from({ length: 10 }, () => client.get()), client.ping()]);
      const pong = outcomes.pop()!;
      assert.deepEqual(pong, { status: "fulfilled", value: "pong" });
      const ok = outcomes.filter((o) => o.status === "fulfilled");
      const refused = outcomes.filter((o) => o.status === "rejected").map((o) => (o as PromiseRejectedResult).reason as unknown);
      assert.ok(ok.length >= 1, "the answers that fit are sent");
      assert.ok(ok.length <= MAX_WRITE / VALUE, `${ok.length} answers of ${VALUE} B sent at once under maxWriteBufferBytes ${MAX_WRITE}`);
      assert.equal(ok.length + refused.length, 10);
      for (const e of refused) {
        assert.ok(RpcError.is(e));
        assert.equal(e.code, "RESOURCE_EXHAUSTED");
        assert.match(e.message, /^get's answer of (at least )?\d+ B cannot be queued: \d+ B already queued for this peer \+ \d+ B exceed maxWriteBufferBytes 4194304$/);
      }
      assert.equal((await client.get()).length, VALUE, "once read, large answers flow again");
    } finally {
      await close(client);
    }
  });
});

/** `attempt` until it succeeds, for a state the server reaches on its own after an event we cannot await (a socket close it has yet to read). */
async function retryUntilOk<T>(attempt: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      if (i >= 100) throw err;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}
