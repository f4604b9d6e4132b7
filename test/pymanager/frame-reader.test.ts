/** The manager protocol's frame reader (src/pymanager/framing.ts) against a peer that sends large frames in small pieces. */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { RpcError } from "../../src/core/errors.js";
import { PyFrameReader, pyFrame } from "../../src/pymanager/framing.js";

/** Bytes Buffer.concat produces while `run` runs. */
function concatBytes(run: () => void): number {
  const original = Buffer.concat;
  let bytes = 0;
  Buffer.concat = ((list: readonly Uint8Array[], total?: number) => {
    const out = original(list, total);
    bytes += out.length;
    return out;
  }) as typeof Buffer.concat;
  try {
    run();
  } finally {
    Buffer.concat = original;
  }
  return bytes;
}

test("a large frame read in many small pieces is joined once, not again on every read", () => {
  const body = Buffer.alloc(4 * 1024 * 1024);
  for (let i = 0; i < body.length; i += 4096) body[i] = (i / 4096) & 0xff;
  const wire = Buffer.concat([pyFrame(body), pyFrame(Buffer.from("next"))]);
  const frames: Buffer[] = [];
  const errors: RpcError[] = [];
  const reader = new PyFrameReader(16 * 1024 * 1024, "maxFrameBytes", (b) => frames.push(Buffer.from(b)), (e) => errors.push(e));
  // 4 KiB reads: joining everything so far on each of them would copy about 2 GiB.
  const copied = concatBytes(() => {
    for (let at = 0; at < wire.length; at += 4096) reader.push(Buffer.from(wire.subarray(at, at + 4096)));
  });
  assert.deepEqual(errors, []);
  assert.equal(frames.length, 2);
  assert.ok(frames[0]!.equals(body), "the large frame arrives byte-exact");
  assert.equal(frames[1]!.toString(), "next");
  assert.ok(copied <= 2 * wire.length, `joined ${copied} B for a ${wire.length} B stream`);
});

test("a frame's header split over reads, and frames split at every offset, still arrive whole and in order", () => {
  const payloads = [Buffer.from("a"), Buffer.alloc(0), Buffer.from("hello world"), Buffer.alloc(70_000, 7)];
  const wire = Buffer.concat(payloads.map((p) => pyFrame(p)));
  for (const piece of [1, 2, 3, 5, 4096, 65_536]) {
    const frames: Buffer[] = [];
    const reader = new PyFrameReader(1 << 20, "maxFrameBytes", (b) => frames.push(Buffer.from(b)), (e) => assert.fail(e.message));
    for (let at = 0; at < wire.length; at += piece) reader.push(Buffer.from(wire.subarray(at, at + piece)));
    assert.deepEqual(frames.map((f) => f.length), payloads.map((p) => p.length), `pieces of ${piece} B`);
    frames.forEach((f, i) => assert.ok(f.equals(payloads[i]!), `frame ${i} in pieces of ${piece} B`));
  }
});

test("a length over the limit is refused when its header arrives, whatever follows", () => {
  const errors: RpcError[] = [];
  const reader = new PyFrameReader(1024, "maxFrameBytes", () => assert.fail("no frame"), (e) => errors.push(e));
  const header = Buffer.alloc(4);
  header.writeInt32BE(1025, 0);
  reader.push(header.subarray(0, 2));
  assert.equal(errors.length, 0);
  reader.push(header.subarray(2));
  reader.push(Buffer.alloc(1025));
  assert.equal(errors.length, 1);
  assert.equal(errors[0]!.code, "RESOURCE_EXHAUSTED");
  assert.match(errors[0]!.message, /frame of 1025 B exceeds maxFrameBytes 1024/);
});
