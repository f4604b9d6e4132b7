import assert from "node:assert/strict";
import { after, before, describe, it, type TestContext } from "node:test";
import { close, connect, serve, type Remote, type Server } from "../../src/index.js";
import { until, within } from "../helpers/bounded.js";
import { LogCapture } from "../fixtures/hostile/log-capture.js";
import { CALL, RESULT, RawPeer, frame, pack } from "../fixtures/hostile/raw-peer.js";

const KEY = "k";
const KiB = 1024;
const MiB = 1024 * KiB;
/** Room for two 2 MiB frames being assembled, not for a third one's first eighth (256 KiB). */
const READ_BUDGET = 4 * MiB + 128 * KiB;
/** Bytes of a 2 MiB frame sent before stopping: past an eighth, so its whole buffer is taken. */
const PART = 300 * KiB;

const api = {
  /** The length of a byte argument, so a big call gets a small answer. */
  size: (bytes: Uint8Array) => bytes.length,
};
type Api = typeof api;

/** Bytes of the argument of a size() CALL frame whose body is `bodyBytes` long. */
function argBytes(id: number, bodyBytes: number): number {
  // msgpack's bin32 header is 3 bytes longer than bin8's.
  return bodyBytes - pack([CALL, id, "size", [new Uint8Array(0)]]).length - 3;
}

/** A CALL frame of size(bytes), header included, whose body is `bodyBytes` long. */
function sizeCall(id: number, bodyBytes: number): Buffer {
  const full = frame(pack([CALL, id, "size", [Buffer.alloc(argBytes(id, bodyBytes), 0x61)]]));
  assert.equal(full.length - 4, bodyBytes);
  return full;
}

async function handshaken(t: TestContext, port: number): Promise<RawPeer> {
  const peer = await RawPeer.open(port);
  t.after(() => peer.destroy());
  assert.equal((await peer.handshake(KEY)).ok, true);
  return peer;
}

describe("a farcall/1 server's read budget (maxServerReadBufferBytes)", () => {
  const log = new LogCapture();
  let server: Server;
  let port: number;
  let remote: Remote<Api>;
  const held = (): number => server.stats().readBufferBytes;

  before(async () => {
    server = await serve(api, { listen: "tcp://127.0.0.1:0", authkey: KEY, logger: log.everyLine, maxServerReadBufferBytes: READ_BUDGET });
    port = Number(new URL(server.addresses[0]).port);
    remote = await connect<Api>(server.addresses[0], { authkey: KEY, logger: false });
  });

  after(async () => {
    if (remote) await close(remote);
    if (server) await server.close({ drainMs: 100 });
  });

  it("connections each holding part of a large frame fill the budget; the next is closed with RESOURCE_EXHAUSTED, logged, before its buffer is taken; an honest large call still fits; completing and closing credit it back", async (t) => {
    const callA = sizeCall(1, 2 * MiB);
    const a = await handshaken(t, port);
    const b = await handshaken(t, port);
    a.write(callA.subarray(0, 4 + PART));
    b.write(sizeCall(1, 2 * MiB).subarray(0, 4 + PART));
    await until(5000, "both partial frames held", () => held() === 4 * MiB);

    const c = await handshaken(t, port);
    c.write(sizeCall(1, 2 * MiB).subarray(0, 4 + 40 * KiB));
    await within(c.closed, 5000, "the server to close the connection past the budget");
    const line = await log.waitFor(2000, new RegExp(`tcp 127\\.0\\.0\\.1:${c.port}: closing: RESOURCE_EXHAUSTED: frame of ${2 * MiB} B needs ${256 * KiB} B more: ${4 * MiB} B already held for partial frames of all peers \\+ ${256 * KiB} B exceed maxServerReadBufferBytes ${READ_BUDGET}$`));
    assert.ok(line.startsWith("warn: "), line);
    assert.equal(held(), 4 * MiB, "the refused connection took nothing");

    // 100 KiB fits in the 128 KiB left.
    assert.equal(await within(remote.size(Buffer.alloc(100 * KiB)), 5000, "an honest large call"), 100 * KiB);

    a.write(callA.subarray(4 + PART));
    assert.deepEqual(await a.nextMessage(5000), [RESULT, 1, argBytes(1, 2 * MiB)], "the held frame, completed, is served");
    b.destroy();
    await until(5000, "both frames' buffers given back", () => held() === 0);

    // Needs all but 128 KiB of the budget: any share left behind would refuse it.
    const later = 4 * MiB;
    assert.equal(await within(remote.size(Buffer.alloc(later)), 10_000, "a later large call"), later);
    assert.equal(held(), 0);
  });

  it("the budget is back to 0 after every connection closes", async (t) => {
    const peers = [await handshaken(t, port), await handshaken(t, port)];
    for (const p of peers) p.write(sizeCall(1, 2 * MiB).subarray(0, 4 + PART));
    await until(5000, "both partial frames held", () => held() === 4 * MiB);
    for (const p of peers) p.destroy();
    await until(5000, "the budget emptied", () => held() === 0);
  });
});

it("maxServerReadBufferBytes is checked at startup", async () => {
  await assert.rejects(serve(api, { listen: "tcp://127.0.0.1:0", logger: false, maxServerReadBufferBytes: 10 }), /maxServerReadBufferBytes/);
});
