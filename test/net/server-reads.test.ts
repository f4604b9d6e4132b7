// A server reads every accepted socket into one read buffer shared by all its connections:
// whatever a handler keeps from its arguments must not be a view of that buffer, which the
// next read (of any connection) overwrites. Handlers here keep their arguments across many
// later reads and check them afterwards, on the server side.
import assert from "node:assert/strict";
import { once } from "node:events";
import { test } from "node:test";
import { connect as dialTcp } from "node:net";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { close, connect, serve } from "../../src/index.js";

const KIB = 1024;

function pattern(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 131 + seed) & 0xff;
  return out;
}

/** An api whose `keep` holds its arguments and whose `damaged` names those changed since. */
function keeper() {
  const kept: { seed: number; bytes: Uint8Array; text: string }[] = [];
  return {
    keep(seed: number, bytes: Uint8Array, text: string) {
      kept.push({ seed, bytes, text });
      return seed;
    },
    damaged(): string[] {
      const bad: string[] = [];
      for (const { seed, bytes, text } of kept) {
        if (text !== `argument ${seed}`) bad.push(`text of ${seed}`);
        if (!Buffer.from(bytes).equals(Buffer.from(pattern(bytes.byteLength, seed)))) bad.push(`${bytes.byteLength} B of ${seed}`);
      }
      return bad;
    },
    count: () => kept.length,
  };
}
type Keeper = ReturnType<typeof keeper>;

const SIZES = [5 * KIB, 100, 8 * KIB, 60 * KIB, 3, 200 * KIB, 4 * KIB, 1, 70 * KIB];

async function keepArguments(url: string, options: { authkey?: string } = {}): Promise<number> {
  const remote = await connect<Keeper>(url, { logger: false, ...options });
  try {
    let seed = 0;
    for (const size of SIZES) await remote.keep(seed, pattern(size, seed), `argument ${seed++}`);
    // Many calls land together in one read.
    await Promise.all(Array.from({ length: 50 }, (_, i) => remote.keep(1000 + i, pattern(SIZES[i % SIZES.length]!, 1000 + i), `argument ${1000 + i}`)));
    // Later reads overwrite the read buffer again and again.
    for (let i = 0; i < 20; i++) await remote.keep(2000 + i, pattern(64 * KIB, 2000 + i), `argument ${2000 + i}`);
    assert.deepEqual(await remote.damaged(), []);
    return await remote.count();
  } finally {
    await close(remote);
  }
}

test("arguments a tcp:// handler keeps stay intact while later calls are read", async (t) => {
  const server = await serve(keeper(), { listen: "tcp://127.0.0.1:0", logger: false });
  t.after(() => server.close());
  assert.equal(await keepArguments(server.addresses[0]!), SIZES.length + 70);
});

test("arguments a unix:// handler keeps stay intact while later calls are read", async (t) => {
  if (process.platform === "win32") return t.skip("no unix sockets on Windows");
  const dir = await mkdtemp(join(tmpdir(), "farcall-sreads-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const server = await serve(keeper(), { listen: `unix://${join(dir, "s.sock")}`, logger: false });
  t.after(() => server.close());
  assert.equal(await keepArguments(server.addresses[0]!), SIZES.length + 70);
});

test("arguments kept by a pymanager:// handler stay intact while later calls are read", async (t) => {
  const server = await serve(keeper(), { listen: "pymanager://127.0.0.1:0", authkey: "password", logger: false });
  t.after(() => server.close());
  assert.equal(await keepArguments(server.addresses[0]!, { authkey: "password" }), SIZES.length + 70);
});

test("two clients' arguments kept side by side stay intact: the read buffer is shared by connections", async (t) => {
  const api = keeper();
  const server = await serve(api, { listen: "tcp://127.0.0.1:0", logger: false });
  t.after(() => server.close());
  const a = await connect<Keeper>(server.addresses[0]!, { logger: false });
  const b = await connect<Keeper>(server.addresses[0]!, { logger: false });
  try {
    await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).keep(i, pattern(SIZES[i % SIZES.length]!, i), `argument ${i}`)));
    for (let i = 0; i < 10; i++) await Promise.all([a.keep(100 + i, pattern(50 * KIB, 100 + i), `argument ${100 + i}`), b.keep(200 + i, pattern(3 * KIB, 200 + i), `argument ${200 + i}`)]);
    assert.deepEqual(await a.damaged(), []);
  } finally {
    await close(a);
    await close(b);
  }
});

test("a raw JSON-RPC document split over several reads arrives whole", async (t) => {
  const texts: string[] = [];
  const server = await serve({ keep: (s: string) => (texts.push(s), s.length) }, { listen: "tcp://127.0.0.1:0", logger: false });
  t.after(() => server.close());
  const url = new URL(server.addresses[0]!);
  const socket = dialTcp({ host: url.hostname, port: Number(url.port) });
  await once(socket, "connect");
  const answers: Buffer[] = [];
  socket.on("data", (c: Buffer) => answers.push(c));
  const text = Buffer.from(pattern(150 * KIB, 7)).toString("base64");
  const doc = Buffer.from(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "keep", params: [text] }) + "\n");
  // Pieces written apart land in separate reads, so the value's start is held across reads.
  for (let pos = 0; pos < doc.length; pos += 30 * KIB) {
    socket.write(doc.subarray(pos, pos + 30 * KIB));
    await new Promise((r) => setTimeout(r, 20));
  }
  while (!Buffer.concat(answers).includes("\n")) await new Promise((r) => setTimeout(r, 10));
  socket.destroy();
  assert.deepEqual(JSON.parse(Buffer.concat(answers).toString()), { jsonrpc: "2.0", id: 1, result: text.length });
  assert.equal(texts[0], text);
});
