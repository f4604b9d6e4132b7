// A tcp:// or unix:// client reads its socket into one buffer of its own (net's onread)
// instead of a fresh buffer per read: whatever a reply hands the caller must not be a view of
// that buffer, which the next read overwrites.
import assert from "node:assert/strict";
import { test } from "node:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { close, connect, serve } from "../../src/index.js";

const KIB = 1024;
const api = { echo: (x: unknown) => x };

function pattern(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 131 + seed) & 0xff;
  return out;
}

/** Replies of every size a read can hold (within one read, across reads, many per read), kept and checked after all later reads. */
async function keepReplies(url: string): Promise<void> {
  const remote = await connect<typeof api>(url, { logger: false });
  try {
    const sizes = [5 * KIB, 100, 8 * KIB, 60 * KIB, 3, 200 * KIB, 4 * KIB, 1, 70 * KIB];
    const kept: { seed: number; value: unknown }[] = [];
    let seed = 0;
    for (const size of sizes) kept.push({ seed, value: await remote.echo({ bytes: pattern(size, seed), text: `reply ${seed++}` }) });
    // Many replies in flight land together in one read.
    const batch = await Promise.all(Array.from({ length: 50 }, (_, i) => remote.echo({ bytes: pattern(sizes[i % sizes.length]!, 1000 + i), text: `reply ${1000 + i}` })));
    batch.forEach((value, i) => kept.push({ seed: 1000 + i, value }));
    // More reads overwrite the read buffer again and again.
    for (let i = 0; i < 20; i++) await remote.echo(pattern(64 * KIB, 99));
    for (const { seed: s, value } of kept) {
      const { bytes, text } = value as { bytes: Uint8Array; text: string };
      assert.equal(text, `reply ${s}`);
      assert.ok(Buffer.from(bytes).equals(Buffer.from(pattern(bytes.byteLength, s))), `reply ${s} of ${bytes.byteLength} B is intact`);
    }
  } finally {
    await close(remote);
  }
}

test("byte arrays and strings a tcp:// client got back stay intact while later replies are read", async (t) => {
  const server = await serve(api, { listen: "tcp://127.0.0.1:0", logger: false });
  t.after(() => server.close());
  await keepReplies(server.addresses[0]!);
});

test("byte arrays and strings a unix:// client got back stay intact while later replies are read", async (t) => {
  if (process.platform === "win32") return t.skip("no unix sockets on Windows");
  const dir = await mkdtemp(join(tmpdir(), "farcall-reads-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const server = await serve(api, { listen: `unix://${join(dir, "s.sock")}`, logger: false });
  t.after(() => server.close());
  await keepReplies(server.addresses[0]!);
});
