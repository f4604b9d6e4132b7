// Large byte arrays over a real tcp:// connection: written beside their frame's other bytes
// (not copied into the pack buffer) and read as views of the frame they came in. Whatever
// the path, the bytes that arrive are the bytes that were sent, in their places and types.
import assert from "node:assert/strict";
import { test } from "node:test";
import { close, connect, RpcError, serve } from "../../src/index.js";

const KIB = 1024;
const MIB = 1024 * KIB;
const api = { echo: (x: unknown) => x, size: (b: Uint8Array) => b.byteLength, ok: () => "ok" };

function pattern(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 131 + seed) & 0xff;
  return out;
}

test("1 MiB payloads, nested ones, several in one message and one of exactly 64 KiB cross tcp:// both ways byte-exact", async (t) => {
  const server = await serve(api, { listen: "tcp://127.0.0.1:0", logger: false });
  t.after(() => server.close());
  const remote = await connect<typeof api>(server.addresses[0], { logger: false });
  t.after(() => close(remote));
  const one = pattern(MIB, 1);
  const back = (await remote.echo(one)) as Uint8Array;
  assert.equal(back.constructor, Uint8Array);
  assert.ok(Buffer.from(back).equals(Buffer.from(one)));
  const several = {
    first: pattern(MIB, 2),
    nested: [1, { deeper: [Buffer.from(pattern(200 * KIB, 3)), "between", pattern(64 * KIB, 4)] }],
    map: new Map([["k", pattern(64 * KIB - 1, 5)]]),
    same: [one, one],
  };
  assert.deepStrictEqual(await remote.echo(several), several);
  // Calls at once: their frames are queued in one tick and written together.
  const many = Array.from({ length: 8 }, (_, i) => pattern(300 * KIB + i, 10 + i));
  const echoed = await Promise.all(many.map((b) => remote.echo(b)));
  echoed.forEach((b, i) => assert.ok(Buffer.from(b as Uint8Array).equals(Buffer.from(many[i]!)), `payload ${i}`));
});

test("a received payload kept by a handler stays intact while later frames arrive on the same connection (it is a view of a frame it owns, not of a reused read buffer)", async (t) => {
  const kept: Uint8Array[] = [];
  const keeper = { keep: (b: Uint8Array) => (kept.push(b), b.byteLength), check: (i: number, seed: number) => Buffer.from(kept[i]!).equals(Buffer.from(pattern(kept[i]!.byteLength, seed))) };
  const server = await serve(keeper, { listen: "tcp://127.0.0.1:0", logger: false });
  t.after(() => server.close());
  const remote = await connect<typeof keeper>(server.addresses[0], { logger: false });
  t.after(() => close(remote));
  const sizes = [MIB, 64 * KIB, 5 * KIB, 3 * MIB + 7, 100 * KIB];
  for (let i = 0; i < sizes.length; i++) assert.equal(await remote.keep(pattern(sizes[i]!, i)), sizes[i]);
  await Promise.all(sizes.map((n, i) => remote.keep(pattern(n, 100 + i))));
  for (let i = 0; i < sizes.length; i++) assert.equal(await remote.check(i, i), true, `payload ${i} of ${sizes[i]} B`);
});

test("a frame over the server's maxFrameBytes is refused from its header: the call fails, the server stays up for others", async (t) => {
  const server = await serve(api, { listen: "tcp://127.0.0.1:0", logger: false, maxFrameBytes: MIB });
  t.after(() => server.close());
  const big = await connect<typeof api>(server.addresses[0], { logger: false, maxFrameBytes: 8 * MIB, reconnect: false });
  t.after(() => close(big));
  await assert.rejects(big.size(new Uint8Array(2 * MIB)), (e: unknown) => RpcError.is(e) && (e.code === "UNAVAILABLE" || e.code === "RESOURCE_EXHAUSTED"));
  const other = await connect<typeof api>(server.addresses[0], { logger: false });
  t.after(() => close(other));
  assert.equal(await other.size(new Uint8Array(MIB - 64)), MIB - 64);
});

test("a payload over the sender's own maxFrameBytes fails that call alone with RESOURCE_EXHAUSTED naming the frame's full size", async (t) => {
  const server = await serve(api, { listen: "tcp://127.0.0.1:0", logger: false });
  t.after(() => server.close());
  const remote = await connect<typeof api>(server.addresses[0], { logger: false, maxFrameBytes: MIB });
  t.after(() => close(remote));
  await assert.rejects(remote.size(new Uint8Array(MIB)), (e: unknown) => RpcError.is(e) && e.code === "RESOURCE_EXHAUSTED" && /a message of 10485\d\d B exceeds maxFrameBytes 1048576/.test(e.message));
  assert.equal(await remote.ok(), "ok");
});
