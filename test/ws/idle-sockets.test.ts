// 2,000 upgraded WebSockets that never do the farcall/1 handshake: the server holds them
// with bounded memory, keeps serving a real client meanwhile, and closes every one of them
// at handshakeTimeoutMs with close code 1008 and a reason naming the option.
import assert from "node:assert/strict";
import { once } from "node:events";
import { describe, it } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { WebSocket } from "ws";
import { connect, serve } from "../../src/index.js";
import { within } from "../helpers/bounded.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const SOCKETS = 2000;
/** Opened this many at a time, so the 2-core test machine is not asked for 2,000 at once. */
const BATCH = 200;
const HANDSHAKE_TIMEOUT_MS = 30_000;
/** Heap for both ends of one idle socket (ws objects, the HTTP request, the timer); see the test's diagnostic. */
const MAX_HEAP_PER_SOCKET = 32 * 1024;

function heap(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

describe("2,000 idle upgraded WebSockets", () => {
  it("are held with bounded memory while a real client is served, then closed at handshakeTimeoutMs with 1008", { timeout: 150_000 }, async (t) => {
    const api = { add: (a: number, b: number) => a + b };
    const server = await serve(api, { listen: "tcp://127.0.0.1:0", authkey: "k", handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS, logger: false });
    const url = `${server.addresses[0]!.replace(/^tcp:/, "ws:")}/`;
    const closes: Promise<[number, Buffer]>[] = [];
    const sockets: WebSocket[] = [];
    try {
      const before = heap();
      const started = Date.now();
      for (let i = 0; i < SOCKETS; i += BATCH) {
        const hellos: Promise<unknown>[] = [];
        for (let j = 0; j < BATCH; j++) {
          const socket = new WebSocket(url, ["farcall.v1"]);
          sockets.push(socket);
          closes.push(once(socket, "close") as Promise<[number, Buffer]>);
          hellos.push(once(socket, "message"));
        }
        await within(Promise.all(hellos), 30_000, `the hellos of sockets ${i}..${i + BATCH - 1}`);
      }
      const openedInMs = Date.now() - started;
      assert.ok(openedInMs < HANDSHAKE_TIMEOUT_MS - 2000, `opening took ${openedInMs} ms: too slow to hold them all at once`);
      const perSocket = (heap() - before) / SOCKETS;
      t.diagnostic(`${SOCKETS} sockets opened in ${openedInMs} ms; ${Math.round(perSocket)} B of heap per socket, both ends`);
      assert.ok(perSocket < MAX_HEAP_PER_SOCKET, `${Math.round(perSocket)} B of heap per idle socket, both ends (bound ${MAX_HEAP_PER_SOCKET})`);
      assert.equal(server.connections, SOCKETS);

      // Everyone else keeps working while they are open.
      const client = await within(connect<typeof api>(url, { authkey: "k", logger: false }), 10_000, "a real client's connect");
      assert.equal(await within(client.add(2, 3), 10_000, "a call"), 5);
      await (client as unknown as { [Symbol.asyncDispose](): Promise<void> })[Symbol.asyncDispose]();

      const results = await within(Promise.all(closes), HANDSHAKE_TIMEOUT_MS + 30_000, "every idle socket's close");
      const codes = new Map<string, number>();
      for (const [code, reason] of results) {
        const key = `${code} ${reason.toString("utf8")}`;
        codes.set(key, (codes.get(key) ?? 0) + 1);
      }
      assert.deepEqual([...codes], [[`1008 no farcall.v1 handshake within ${HANDSHAKE_TIMEOUT_MS} ms (handshakeTimeoutMs)`, SOCKETS]]);
    } finally {
      for (const socket of sockets) socket.terminate();
      await server.close({ drainMs: 0 });
    }
  });
});
